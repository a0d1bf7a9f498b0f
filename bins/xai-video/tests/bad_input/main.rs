//! What users really feed `xai-video`, through the binary: each kind of bad input gives its
//! documented exit code and a message that names the input, never a panic or a partial file.

mod clips;
mod models;
mod outputs;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use outcome::testing::has_error_line;
use predicates::prelude::*;
use video::{ClipWriter, EncodeOptions, RgbImage};

const MISSING_INPUT: i32 = 3;
const INVALID_INPUT: i32 = 4;
const MODEL: i32 = 5;
const OUTPUT: i32 = 6;

fn xai_video() -> Command {
    Command::cargo_bin("xai-video").unwrap()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Standard error holds a line `error: …` that contains `message`.
fn error_line(message: &str) -> impl predicates::Predicate<str> + '_ {
    predicate::function(move |err: &str| has_error_line(err, message))
}

/// Runs `args`, expecting exit `code` and an error message that contains `message`.
fn fails(args: &[&str], code: i32, message: &str) {
    xai_video()
        .args(args)
        .assert()
        .code(code)
        .stderr(error_line(message))
        .stderr(predicate::str::contains("panicked").not());
}

/// A clip of a textured square moving right, `width × height`, `frames` long.
fn moving_square(path: &Path, width: usize, height: usize, frames: usize, options: EncodeOptions) {
    let mut writer = ClipWriter::create(path, width, height, options).unwrap();
    for t in 0..frames {
        let mut picture = RgbImage::filled(width, height, [90, 90, 90]);
        let side = height / 3;
        for y in 0..side {
            for x in 0..side {
                let shade = ((x / 4 + y / 4) % 2 * 120 + 60) as u8;
                picture.set(
                    (width / 8 + 3 * t + x) as i64,
                    (height / 3 + y) as i64,
                    [shade, 255 - shade, 40],
                );
            }
        }
        writer.push(&picture).unwrap();
    }
    writer.finish().unwrap();
}
