//! The `xai-text` binary end to end, with the model embedded in it (no data set needed).

mod demo_posts;
mod exported_set;
mod gathered;
mod onnx;
mod user_set;

use assert_cmd::Command;

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").expect("the binary is built")
}

fn demo(name: &str) -> String {
    format!("{}/../../assets/demo/{name}", env!("CARGO_MANIFEST_DIR"))
}
