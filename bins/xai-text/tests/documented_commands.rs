//! Every `xai-text …` command line in a fenced block of README.md and docs/*.md parses: its
//! subcommand exists and so does every flag it gives, so the documents cannot drift from the
//! tool. How command lines are found and checked: `outcome::testing::documented`; the same test
//! for `xai-video` is `bins/xai-video/tests/documented_commands.rs`.

use std::path::Path;

use outcome::testing::documented;

const TOOL: &str = "xai-text";
/// Fewer command lines than this means the search, not the documents, went wrong.
const AT_LEAST: usize = 25;

#[test]
fn documented_command_lines_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let binary = Path::new(env!("CARGO_BIN_EXE_xai-text"));
    documented::assert_command_lines_parse(TOOL, binary, &root, AT_LEAST);
}

#[test]
fn command_lines_are_found_as_written() {
    documented::assert_command_lines_found_as_written(TOOL);
}
