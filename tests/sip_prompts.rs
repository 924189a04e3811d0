//! The committed example prompts (real espeak-ng speech, see prompts/generate.sh):
//! they load, and speech is never mistaken for a key press.

use std::path::Path;

use mhero::sip::media::codec::Codec;
use mhero::sip::media::dtmf_detector::DtmfDetector;
use mhero::sip::prompts::{read_wav, PromptLibrary};

fn prompts_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts"))
}

/// The shipped prompts: the IVR demo's in English and French, the voice
/// quiz's in its four languages.
fn every_prompt() -> Vec<(&'static str, &'static str)> {
    let mut all = Vec::new();
    for lang in ["eng", "fra"] {
        all.push((lang, "welcome"));
        all.push((lang, "menu"));
    }
    for lang in ["eng", "fra", "swa", "por"] {
        for name in ["quiz_welcome", "quiz_q1", "quiz_q2", "quiz_thanks"] {
            all.push((lang, name));
        }
    }
    all
}

#[test]
fn example_prompts_load_in_every_language() {
    let library = PromptLibrary::load(prompts_dir()).unwrap();
    assert_eq!(library.len(), 20);
    for (lang, name) in every_prompt() {
        let prompt = library.get(lang, name).unwrap();
        let seconds = prompt.duration().as_secs_f64();
        assert!((1.0..15.0).contains(&seconds), "{lang}/{name}: {seconds} s");
        assert_eq!(prompt.audio(Codec::Pcmu).len(), prompt.audio(Codec::Pcma).len());
    }
    assert!(library.get("eng", "goodbye").is_err());
}

#[test]
fn speech_through_g711_is_not_dtmf() {
    let library = PromptLibrary::load(prompts_dir()).unwrap();
    for (lang, name) in every_prompt() {
        let file = prompts_dir().join(lang).join(format!("{name}.wav"));
        assert!(!read_wav(&file).unwrap().is_empty());
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut pcm = Vec::new();
            codec.decode_into(&library.get(lang, name).unwrap().audio(codec), &mut pcm);
            let mut detector = DtmfDetector::new();
            let found: Vec<_> = pcm.chunks(160).flat_map(|frame| detector.push(frame)).collect();
            assert!(
                found.is_empty(),
                "{lang}/{name} over {codec:?} heard as {found:?}"
            );
        }
    }
}
