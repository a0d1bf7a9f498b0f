//! Options out of range (exit 2).

use std::path::Path;

use crate::{arg, fails, repo};

#[test]
fn nonsense_training_options_exit_2() {
    let set = repo("assets/demo-set/tickets.csv");
    for (flag, value) in [
        ("--epochs", "0"),
        ("--width", "0"),
        ("--filters", "0"),
        ("--max-len", "1"),
        ("--learning-rate", "nan"),
        ("--dropout", "2"),
        ("--weight-average", "1"),
        ("--validation-fraction", "1"),
        ("--members", "0"),
    ] {
        fails(&["train", "--data", arg(&set), "--out", "never-written", flag, value], 2, flag);
    }
    fails(
        &["train", "--data", arg(&set), "--out", "never-written", "--add-embedding-words"],
        2,
        "required arguments were not provided",
    );
    assert!(!Path::new("never-written").exists());
    fails(&["explain", "--text", "orbit", "--method", "magic"], 2, "method `magic`");
}
