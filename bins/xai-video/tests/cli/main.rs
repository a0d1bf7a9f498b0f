//! `xai-video` end to end on a tiny synthetic set rendered by the binary itself.

mod default_model;
mod evaluate;
mod explain;
mod motion;
mod spray;
mod tiny_set;

use assert_cmd::Command;

fn xai_video() -> Command {
    Command::cargo_bin("xai-video").unwrap()
}
