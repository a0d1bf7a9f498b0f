//! `xai-text explain`: a document's words coloured by their relevance for a class.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use outcome::output::Sink;
use outcome::{errln, Failure};
use text::ModelConfig;
use text::{explanation_html, unknown_words_note, write_terminal, ColorWhen, Palette};
use text::{Method, TextError, TextExplanation, TextModel};

use crate::args::{read_document, row_document, DataArg, ModelArg};
use crate::failure::{text_failure, Error};
use pipeline::worker::{optional_string_field, serve_rows};

#[derive(Args)]
pub(crate) struct ExplainArgs {
    /// Documents: files, folders (every file inside) or `-` for standard input.
    inputs: Vec<PathBuf>,
    /// Explain this text instead of files.
    #[arg(long, conflicts_with = "inputs")]
    text: Option<String>,
    /// Explain the data set's test split (JSON lines with each document's id and true class).
    #[arg(long, conflicts_with_all = ["inputs", "text"])]
    test_split: bool,
    /// Worker mode: read one JSON object per line (`{"id": …, "text": …}`, optionally
    /// `"class": …`) from this file or `-` (standard input); write one JSON line per input line
    /// in input order, `{"id": …, "explanation": …}`, or an error record for a bad row.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["inputs", "text", "test_split", "format"])]
    jsonl: Option<PathBuf>,
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// The class to explain [default: the predicted one].
    #[arg(long)]
    class: Option<String>,
    /// `lrp`, `sa` (sensitivity analysis), `gxi` (gradient × input),
    /// `ig[:steps=50,baseline=zero|pad,quadrature=midpoint|gauss-legendre|graded]` (Integrated
    /// Gradients),
    /// `smoothgrad[:samples=32,noise=0.15,seed=0]` or `occlusion[:window=1]`.
    #[arg(long, default_value = "lrp")]
    method: String,
    /// LRP rule for all layers, or a composite: `epsilon[=ε]`, `alphabeta[=α,β]`, `zplus`,
    /// `lrp0`, `flat`, `wsquare`, e.g. `epsilon=0.01;conv1d:zplus`; for transformers `attnlrp`
    /// (AttnLRP as lxt computes it, `attnlrp:epsilon=ε` for ε on the dense layers) or
    /// `cp-lrp` [default: `attnlrp` for a model with attention, else `epsilon=0.01`].
    #[arg(long)]
    rule: Option<String>,
    /// `text` (coloured words), `json`, or `html` (a self-contained page).
    #[arg(long, default_value = "text")]
    format: OutputFormat,
    /// Colours in text output: `never`, `auto`, `always`.
    #[arg(long, default_value = "auto")]
    color: ColorWhen,
    /// Words listed for and against the class.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
    Html,
}

/// The documents to explain: (name, true class when known, text).
fn explain_inputs(
    args: &ExplainArgs,
    model: Option<&ModelConfig>,
) -> Result<Vec<(String, Option<String>, String)>, Error> {
    if let Some(text) = &args.text {
        return Ok(vec![("--text".into(), None, text.clone())]);
    }
    if args.test_split {
        let (corpus, _) = args.data.load(model)?;
        return Ok(corpus
            .test
            .into_iter()
            .map(|d| (d.id, Some(corpus.classes[d.label].clone()), d.text))
            .collect());
    }
    if args.inputs.is_empty() {
        return Err(Failure::usage("give a file, a folder, `-`, --text or --test-split").into());
    }
    let mut docs = Vec::new();
    for input in &args.inputs {
        if input == Path::new("-") {
            docs.push(("-".into(), None, read_document(input)?));
            continue;
        }
        let files = text::document_files(input)?;
        let folder = input.is_dir();
        for file in files {
            match read_document(&file) {
                Ok(text) => docs.push((file.display().to_string(), None, text)),
                // In a folder, files that are no text documents are skipped, not fatal.
                Err(problem) if folder => errln!("warning: skipped {problem}"),
                Err(problem) => return Err(problem.into()),
            }
        }
    }
    Ok(docs)
}

pub(crate) fn run(args: ExplainArgs) -> Result<(), Error> {
    use rayon::prelude::*;
    let model = args.model.load_any()?;
    let rule = args.rule.as_deref().unwrap_or(model.default_rule());
    let method = Method::parse(&args.method, rule).map_err(TextError::from)?;
    let class = args.class.as_deref().map(|name| model.class_index(name)).transpose()?;
    if let Some(input) = &args.jsonl {
        let mut out = Sink::open(args.out.as_deref(), args.force)?;
        serve_rows(input, &mut out, "explanation", |row| {
            let text = row_document(row)?;
            let class = match optional_string_field(row, "class")? {
                Some(name) => Some(model.class_index(name).map_err(text_failure)?),
                None => class,
            };
            model.explain(&text, class, &method).map_err(text_failure)
        })?;
        return Ok(out.finish()?);
    }
    let docs = explain_inputs(&args, model.native().map(|m| &m.config))?;
    let many = docs.len() > 1;
    if many && args.format == OutputFormat::Html {
        return Err(Failure::usage("--format html takes one document; use json for many").into());
    }
    let mut out = Sink::open(args.out.as_deref(), args.force)?;
    let to_terminal = args.out.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let palette = Palette::choose(args.color, to_terminal, |name| std::env::var(name).ok());
    let mut unknown = Vec::new();
    // Explained and rendered in parallel, a chunk at a time (long enough that the threads seldom
    // wait for each other at its end), and written in input order.
    let render = |e: &TextExplanation, name: &str, truth: &Option<String>| -> Vec<u8> {
        match args.format {
            OutputFormat::Json if many => {
                let line = serde_json::json!({ "id": name, "true_class": truth, "explanation": e });
                format!("{line}\n").into_bytes()
            }
            OutputFormat::Json => {
                format!("{}\n", serde_json::to_string_pretty(e).expect("serialises")).into_bytes()
            }
            OutputFormat::Html => explanation_html(e, model.classes()).into_bytes(),
            OutputFormat::Text => {
                let mut buffer = if palette == Palette::Plain {
                    termcolor::Buffer::no_color()
                } else {
                    termcolor::Buffer::ansi()
                };
                let heading = if many { format!("== {name}\n") } else { String::new() };
                write_terminal(&mut buffer, e, palette, args.top)
                    .expect("writing to memory cannot fail");
                let mut text = heading.into_bytes();
                text.extend_from_slice(buffer.as_slice());
                if many {
                    text.push(b'\n');
                }
                text
            }
        }
    };
    for chunk in docs.chunks(32 * rayon::current_num_threads().max(1)) {
        let explained: Vec<_> = chunk
            .par_iter()
            .map(|(name, truth, text)| {
                let e = model.explain(text, class, &method)?;
                let rendered = render(&e, name, truth);
                Ok((e.known_words, rendered))
            })
            .collect();
        for ((name, _, _), explanation) in chunk.iter().zip(explained) {
            let (known, rendered) =
                explanation.map_err(|e: TextError| text_failure(e).about(name))?;
            if known.known == 0 {
                unknown.push((name, known));
            }
            out.write_all(&rendered).map_err(|e| out.failure(e))?;
        }
    }
    match unknown.as_slice() {
        [] => {}
        [(name, known)] => errln!("warning: {name}: {}", unknown_words_note(known).expect("none known")),
        [(first, _), ..] => errln!("warning: the model knows none of the words of {} documents (first {first}); their decisions do not rest on them", unknown.len()),
    }
    Ok(out.finish()?)
}
