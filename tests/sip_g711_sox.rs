//! Our G.711 against sox (Debian `sox`), an independent implementation, over every
//! 16-bit input and every code, as ivr.md recommends.

use std::path::Path;
use std::process::Command;

use mhero::sip::media::codec::Codec;

fn sox(from_type: &str, to_type: &str, input: &Path, output: &Path) {
    // -D: no dither, which would otherwise add noise before quantising.
    let status = Command::new("sox")
        .args(["-D", "-t", from_type, "-r", "8000", "-c", "1"])
        .arg(input)
        .args(["-t", to_type])
        .arg(output)
        .status()
        .expect("sox is needed for this test: apt-get install sox");
    assert!(status.success(), "sox {from_type} -> {to_type} failed");
}

fn sox_type(codec: Codec) -> &'static str {
    match codec {
        Codec::Pcmu => "ul",
        Codec::Pcma => "al",
    }
}

#[test]
fn decoding_every_code_matches_sox() {
    let dir = tempfile::tempdir().unwrap();
    for codec in [Codec::Pcmu, Codec::Pcma] {
        let codes: Vec<u8> = (0..=255).collect();
        let (coded, linear) = (dir.path().join("codes"), dir.path().join("linear"));
        std::fs::write(&coded, &codes).unwrap();
        sox(sox_type(codec), "s16", &coded, &linear);
        let theirs: Vec<i16> = std::fs::read(&linear)
            .unwrap()
            .chunks(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let mut ours = Vec::new();
        codec.decode_into(&codes, &mut ours);
        assert_eq!(ours, theirs, "{codec:?}");
    }
}

#[test]
fn encoding_every_input_matches_sox() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let (linear, coded) = (dir.path().join("linear"), dir.path().join("coded"));
    std::fs::write(
        &linear,
        all.iter().flat_map(|s| s.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .unwrap();
    for codec in [Codec::Pcmu, Codec::Pcma] {
        sox("s16", sox_type(codec), &linear, &coded);
        let theirs = std::fs::read(&coded).unwrap();
        let mut ours = Vec::new();
        codec.encode_into(&all, &mut ours);
        let differing: Vec<i16> = all
            .iter()
            .zip(ours.iter().zip(&theirs))
            .filter(|(_, (a, b))| a != b)
            .map(|(s, _)| *s)
            .collect();
        assert!(
            differing.is_empty(),
            "{codec:?}: {} inputs differ, first {:?}",
            differing.len(),
            &differing[..differing.len().min(10)]
        );
    }
}
