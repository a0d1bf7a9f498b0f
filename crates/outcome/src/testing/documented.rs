//! Every command line of a tool in a fenced block of README.md and docs/*.md parses: its
//! subcommand exists and so does every flag it gives (checked against `SUBCOMMAND --help`), so
//! the documents cannot drift from the tool. The values are not checked. Each binary's
//! `tests/documented_commands.rs` runs this with its own name and path.
//!
//! A command line is found at the start of a line (after a `$ ` prompt and `NAME=value`
//! settings), after `|`, `;`, `&&` or `do`, as `cargo run … -p TOOL -- …`, and in a string
//! of a Python block. Lines ending in `\`, and indented lines starting with `[` or `--` (a
//! synopsis), continue the line above; `[`, `]` around optional arguments are dropped, and a
//! `|` followed by a flag separates alternatives rather than piping.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Checks every command line of `tool` (the binary at `binary`) in `root`'s README.md and
/// docs/*.md, and that there are at least `at_least` of them (fewer means the search, not the
/// documents, went wrong).
pub fn assert_command_lines_parse(tool: &str, binary: &Path, root: &Path, at_least: usize) {
    let root = root.canonicalize().expect("the repository's root");
    let mut help = Help { tool, binary, flags: HashMap::new() };
    let subcommands = help.subcommands();
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in documents(&root) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        for (line, args) in command_lines(&text, tool) {
            checked += 1;
            for problem in check(tool, &args, &subcommands, &mut help) {
                failures.push(format!("{name}:{line}: {problem}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "documented `{tool}` command lines that do not parse:\n{}",
        failures.join("\n")
    );
    assert!(
        checked >= at_least,
        "only {checked} `{tool}` command lines found in README.md and docs/"
    );
}

/// README.md and docs/*.md.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    docs.insert(0, root.join("README.md"));
    docs
}

/// The arguments after the tool's name of every invocation in a fenced block, with the number
/// of the line it starts on.
fn command_lines(text: &str, tool: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let mut block: Option<String> = None; // the open block's language
    let mut logical: Vec<(usize, String)> = Vec::new();
    let mut continued = false;
    let flush = |logical: &mut Vec<(usize, String)>,
                 language: &str,
                 found: &mut Vec<(usize, Vec<String>)>| {
        for (number, line) in logical.drain(..) {
            let shell_lines =
                if language == "python" { python_strings(&line, tool) } else { vec![line] };
            for shell in shell_lines {
                for args in invocations(&shell, tool) {
                    found.push((number, args));
                }
            }
        }
    };
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") {
            match block.take() {
                Some(language) => flush(&mut logical, &language, &mut found),
                None => block = Some(trimmed.trim_start_matches('`').trim().to_string()),
            }
            continued = false;
            continue;
        }
        if block.is_none() {
            continue;
        }
        let synopsis = raw.starts_with(char::is_whitespace)
            && (trimmed.starts_with('[') || trimmed.starts_with("--"));
        let body = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
        let (body, next_continues) = match body.trim_end().strip_suffix('\\') {
            Some(rest) => (rest, true),
            None => (body.trim_end(), false),
        };
        match logical.last_mut() {
            Some((_, previous)) if continued || synopsis => {
                previous.push(' ');
                previous.push_str(body);
            }
            _ => logical.push((index + 1, body.to_string())),
        }
        continued = next_continues;
    }
    found
}

/// The string literals of a Python line that start with the tool's name.
fn python_strings(line: &str, tool: &str) -> Vec<String> {
    let mut strings = Vec::new();
    for quote in ['"', '\''] {
        let opening = format!("{quote}{tool} ");
        let mut rest = line;
        while let Some(at) = rest.find(&opening) {
            let inner = &rest[at + 1..];
            let end = inner.find(quote).unwrap_or(inner.len());
            strings.push(inner[..end].to_string());
            rest = &inner[end..];
        }
    }
    strings
}

/// A shell word, or an operator between commands (`|`, `||`, `&&`, `&`, `;`) or a redirection.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Separator(String),
    Redirection,
}

/// Splits a line as a shell would (quotes, backslashes, comments). `|`, `||`, `&&` and `&`
/// count only as separate words, so `a|b` stays one word as in a synopsis.
fn tokens(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let end_word = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            let w = std::mem::take(word);
            tokens.push(match w.as_str() {
                "|" | "||" | "&&" | "&" => Token::Separator(w),
                _ => Token::Word(w),
            });
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '#' if !in_word => break,
            ';' => {
                end_word(&mut word, &mut in_word, &mut tokens);
                tokens.push(Token::Separator(";".into()));
            }
            '>' | '<' if !in_word || word.chars().all(|c| c.is_ascii_digit()) => {
                word.clear();
                in_word = false;
                tokens.push(Token::Redirection);
                while chars.next_if(|c| matches!(c, '>' | '&')).is_some() {}
            }
            c if c.is_whitespace() => end_word(&mut word, &mut in_word, &mut tokens),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut tokens);
    tokens
}

/// The tool's arguments of every command of a shell line that runs the tool.
fn invocations(line: &str, tool: &str) -> Vec<Vec<String>> {
    let tokens = tokens(line);
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    let mut redirected = false;
    for (i, token) in tokens.iter().enumerate() {
        // `| --flag` in a synopsis: an alternative, not a pipe
        let next = match tokens.get(i + 1) {
            Some(Token::Word(w)) => w.trim_start_matches('['),
            _ => "",
        };
        let alternative = next.starts_with('-');
        match token {
            Token::Separator(s) if s == "|" && alternative => {}
            Token::Separator(_) => {
                commands.push(Vec::new());
                redirected = false;
            }
            // a redirection, its target and what follows up to the next command
            Token::Redirection => redirected = true,
            Token::Word(_) if redirected => {}
            Token::Word(w) => commands.last_mut().unwrap().push(w.clone()),
        }
    }
    commands.into_iter().filter_map(|command| tool_arguments(command, tool)).collect()
}

/// The arguments to the tool if this command runs it, after settings, keywords and `cargo run`.
fn tool_arguments(command: Vec<String>, tool: &str) -> Option<Vec<String>> {
    let is_setting = |w: &String| {
        w.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty()
                && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
                && !name.starts_with(|c: char| c.is_ascii_digit())
        })
    };
    let start = command.iter().position(|w| {
        !is_setting(w) && !matches!(w.as_str(), "do" | "then" | "else" | "time" | "env" | "exec")
    })?;
    let command = &command[start..];
    if command[0] == tool {
        return Some(command[1..].to_vec());
    }
    let runs_tool = command[0] == "cargo"
        && command.iter().any(|w| w == "run")
        && command
            .windows(2)
            .any(|p| matches!(p[0].as_str(), "-p" | "--package" | "--bin") && p[1] == tool);
    if runs_tool {
        let dashes = command.iter().position(|w| w == "--")?;
        return Some(command[dashes + 1..].to_vec());
    }
    None
}

/// What is wrong with one invocation's arguments.
fn check(tool: &str, args: &[String], subcommands: &[String], help: &mut Help) -> Vec<String> {
    let words: Vec<&str> =
        args.iter().map(|w| w.trim_start_matches('[').trim_end_matches(']')).collect();
    let Some(&first) = words.first() else {
        return vec![format!("`{tool}` without a subcommand")];
    };
    if matches!(first, "--help" | "-h" | "--version" | "-V") {
        return Vec::new();
    }
    if first.starts_with('-') {
        return vec![format!(
            "`{first}` before the subcommand (these documents write every flag after it)"
        )];
    }
    if !subcommands.iter().any(|s| s == first) {
        return vec![format!(
            "`{first}` is not a subcommand of {tool} (they are: {})",
            subcommands.join(", ")
        )];
    }
    let flags = help.flags(first);
    let mut problems = Vec::new();
    for &word in &words[1..] {
        if word == "--" {
            break;
        }
        let Some(flag) = flag_of(word) else { continue };
        if !flags.iter().any(|f| f == flag) {
            problems.push(format!("`{tool} {first}` has no flag `{flag}`"));
        }
    }
    problems
}

/// The flag a word gives (`--name` of `--name=value`, `-x`), if it is one.
fn flag_of(word: &str) -> Option<&str> {
    if let Some(long) = word.strip_prefix("--") {
        let name = long.split('=').next().unwrap();
        return name
            .starts_with(|c: char| c.is_ascii_alphabetic())
            .then(|| &word[..2 + name.len()]);
    }
    let short = word.strip_prefix('-')?;
    short.starts_with(|c: char| c.is_ascii_alphabetic()).then(|| &word[..2])
}

/// `--help` of the tool and its subcommands, each run once.
struct Help<'a> {
    tool: &'a str,
    binary: &'a Path,
    flags: HashMap<String, Vec<String>>,
}

impl Help<'_> {
    fn run(&self, args: &[&str]) -> String {
        let output = Command::new(self.binary).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{} {}: {}",
            self.tool,
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// The names in the "Commands:" section of the tool's `--help`.
    fn subcommands(&self) -> Vec<String> {
        let text = self.run(&["--help"]);
        let section = text.split("Commands:").nth(1).expect("a Commands: section in --help");
        section
            .lines()
            .skip(1)
            .take_while(|line| !line.trim().is_empty())
            .filter(|line| line.starts_with("  ") && !line.starts_with("        "))
            .filter_map(|line| line.split_whitespace().next().map(str::to_string))
            .collect()
    }

    /// The flags a subcommand defines: the `-x` and `--name` words that open the option lines of
    /// its `--help` (a flag only mentioned in another's description does not count).
    fn flags(&mut self, subcommand: &str) -> &[String] {
        if !self.flags.contains_key(subcommand) {
            let text = self.run(&[subcommand, "--help"]);
            let mut flags = Vec::new();
            for line in text.lines() {
                let indent = line.len() - line.trim_start().len();
                if indent > 6 || !line.trim_start().starts_with('-') {
                    continue;
                }
                let definition = line.trim_start().split("  ").next().unwrap();
                for word in definition.split(|c: char| c.is_whitespace() || c == ',') {
                    let name: String = word
                        .chars()
                        .take_while(|&c| c == '-' || c.is_ascii_alphanumeric())
                        .collect();
                    if let Some(flag) = flag_of(&name) {
                        flags.push(flag.to_string());
                    }
                }
            }
            self.flags.insert(subcommand.to_string(), flags);
        }
        &self.flags[subcommand]
    }
}

/// Checks the search for command lines on a sample document that holds every form it finds
/// (and a few it must not), written for `tool`.
pub fn assert_command_lines_found_as_written(tool: &str) {
    let doc = [
        "text",
        "```sh",
        "$ TOOL explain a.txt --out x \\",
        "    --force   # note",
        "TOOL spray",
        "        [--class NAME] [--maps position|vocab]",
        "for k in 1 2; do TOOL eval-deletion --shard $k/2; done",
        "printf x | TOOL predict --jsonl - > out.jsonl",
        "RELVIS_DATA=d cargo run --release -p TOOL -- accuracy --json",
        "TOOL explain FILE|- | --text \"…\" | --test-split",
        "# TOOL not-this",
        "cargo run -p viewer -- TOOL",
        "```",
        "TOOL outside",
        "```python",
        "x.pipe(\"TOOL explain --jsonl -\")",
        "```",
    ]
    .join("\n")
    .replace("TOOL", tool);
    let found: Vec<(usize, String)> =
        command_lines(&doc, tool).into_iter().map(|(n, a)| (n, a.join(" "))).collect();
    let expected = [
        (3, "explain a.txt --out x --force"),
        (5, "spray [--class NAME] [--maps position|vocab]"),
        (7, "eval-deletion --shard $k/2"),
        (8, "predict --jsonl -"),
        (9, "accuracy --json"),
        (10, "explain FILE|- --text … --test-split"),
        (16, "explain --jsonl -"),
    ];
    let expected: Vec<(usize, String)> =
        expected.iter().map(|(n, a)| (*n, a.to_string())).collect();
    assert_eq!(found, expected);
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_lines_are_found_as_written() {
        super::assert_command_lines_found_as_written("xai-text");
        super::assert_command_lines_found_as_written("some-tool");
    }
}
