//! `mhero flow check --prompts DIR`: voice flows' say/play actions with no
//! recording under `DIR/<lang>/` and no text-to-speech fallback are reported,
//! per language, and make the check fail; text is enough when speech is available.

use std::path::{Path, PathBuf};

use mhero::cli::flow::check_prompts;
use mhero::sip::prompts::PromptLibrary;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A prompt directory holding only the English welcome of the voice quiz.
fn only_english_welcome() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("eng")).unwrap();
    std::fs::create_dir_all(dir.path().join("fra")).unwrap();
    std::fs::copy(
        repo("prompts/eng/quiz_welcome.wav"),
        dir.path().join("eng/quiz_welcome.wav"),
    )
    .unwrap();
    dir
}

fn check(file: &Path, dir: &Path, tts: bool) -> Vec<String> {
    let library = PromptLibrary::load(dir).unwrap();
    check_prompts(file, &library, dir, tts).unwrap()
}

#[test]
fn the_shipped_voice_quiz_has_every_prompt_in_all_four_languages() {
    let quiz = repo("flows/voice_quiz.json");
    assert_eq!(check(&quiz, &repo("prompts"), false), Vec::<String>::new());
}

#[test]
fn missing_recordings_are_reported_per_language_unless_text_can_be_spoken() {
    let quiz = repo("flows/voice_quiz.json");
    let dir = only_english_welcome();
    let lines = check(&quiz, dir.path(), false);
    // Four prompts in four languages, less the one English file present.
    assert_eq!(lines.len(), 15, "{lines:#?}");
    let q1_fra = dir.path().join("fra/quiz_q1.wav").display().to_string();
    assert!(
        lines.iter().any(|l| l.contains("flow 'Voice Quiz' [fra] say_msg")
            && l.ends_with(&format!("no prompt {q1_fra} and no text-to-speech fallback"))),
        "{lines:#?}"
    );
    assert!(!lines
        .iter()
        .any(|l| l.contains("[eng]") && l.contains("quiz_welcome")));
    // Every say_msg has text: with speech available nothing is missing.
    assert_eq!(check(&quiz, dir.path(), true), Vec::<String>::new());
}

#[test]
fn play_audio_needs_its_file_even_with_speech_and_expressions_are_left_to_the_call() {
    let dir = only_english_welcome();
    let file = dir.path().join("flow.json");
    let flow = serde_json::json!({"version": "13", "flows": [{
        "uuid": "b1b2c3d4-0000-4000-8000-0000000000f0", "name": "Announce", "spec_version": "13.1.0",
        "language": "eng", "type": "voice",
        "nodes": [{"uuid": "b1b2c3d4-0000-4000-8000-000000000001",
                   "actions": [
                       {"uuid": "b1b2c3d4-0000-4000-8000-000000000003", "type": "play_audio",
                        "audio_url": "https://example.org/eng/intro.wav"},
                       {"uuid": "b1b2c3d4-0000-4000-8000-000000000004", "type": "play_audio",
                        "audio_url": "@results.message.value"},
                       {"uuid": "b1b2c3d4-0000-4000-8000-000000000005", "type": "say_msg",
                        "text": "Thank you for calling."},
                       {"uuid": "b1b2c3d4-0000-4000-8000-000000000006", "type": "say_msg",
                        "text": "Welcome.", "audio_url": "quiz_welcome.wav"}
                   ],
                   "exits": [{"uuid": "b1b2c3d4-0000-4000-8000-000000000002"}]}]
    }]});
    std::fs::write(&file, flow.to_string()).unwrap();
    let intro = dir.path().join("eng/intro.wav").display().to_string();
    let with_tts = check(&file, dir.path(), true);
    assert_eq!(with_tts.len(), 1, "{with_tts:#?}");
    assert!(with_tts[0].ends_with(&format!(
        "flow 'Announce' [eng] play_audio b1b2c3d4-0000-4000-8000-000000000003: no prompt {intro}"
    )));
    let without = check(&file, dir.path(), false);
    assert_eq!(without.len(), 2, "{without:#?}");
    assert!(without[1].ends_with(
        "flow 'Announce' [eng] say_msg b1b2c3d4-0000-4000-8000-000000000005: no audio_url and no \
         text-to-speech fallback"
    ));
}

#[test]
fn the_command_fails_and_prints_what_is_missing() {
    let dir = only_english_welcome();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mhero"))
        .args(["flow", "check", "--tts", "no", "--prompts"])
        .arg(dir.path())
        .arg(repo("flows/voice_quiz.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.matches("no text-to-speech fallback").count(),
        15,
        "{stdout}"
    );
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_mhero"))
        .args(["flow", "check", "--tts", "no", "--prompts"])
        .arg(repo("prompts"))
        .arg(repo("flows/voice_quiz.json"))
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
}
