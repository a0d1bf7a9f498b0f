//! `xai-text spray`: SpRAy over a class's explanations (or every class's, ranked by eigengap).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use indicatif::ProgressBar;
use outcome::output::StagedFolder;
use outcome::{errln, outln, Failure};
use pipeline::worker::gather;
use spray::cli::ClusterArgs;
use spray::plot::plot_class;
use spray::rank_by_eigengap;
use text::explanation_html;
use text::spray_page;
use text::TextExplanation;
use text::{class_strategies, strategies, MapKind, TextStrategies};
use text::{Method, TextError, TextModel};

use crate::args::{DataArg, ModelArg};
use crate::failure::Error;

#[derive(Args)]
pub(crate) struct SprayArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// The class to analyse; every class (ranked by eigengap) if not given.
    #[arg(long)]
    class: Option<String>,
    /// position (header bins apart from body bins) or vocab (relevance per word type).
    #[arg(long, default_value = "position")]
    maps: MapKind,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// LRP rule, as for `explain` [default: as for `explain`].
    #[arg(long)]
    rule: Option<String>,
    /// Cluster explanations made elsewhere instead of computing them: files of the worker
    /// mode's output (`explain --jsonl`, JSON lines with `id` and `explanation`), gathered from
    /// shards or from the Python package, read in the order given. Each explanation counts for
    /// the class it explains.
    #[arg(long, num_args = 1.., value_name = "PARTS", conflicts_with_all = ["data", "model", "rule"])]
    explanations: Vec<PathBuf>,
    /// Also write `report.html` into the report: one self-contained page to explore the
    /// classes' spectra, embeddings and clusters and every document's explanation.
    #[arg(long)]
    html: bool,
    /// Folder for the report (refused if it exists, unless --force).
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    force: bool,
}

/// Each class's explanations from the worker output files `parts`, in the explained classes'
/// order; explanations of another class than `only` are left out.
/// Also gives the class names the explanations name (an index where none does), for the
/// example pages' score tables.
/// A class's name, its documents' ids and their explanations.
type ClassExplanations = (String, Vec<String>, Vec<TextExplanation>);

fn gathered(
    parts: &[PathBuf],
    only: Option<&str>,
) -> Result<(Vec<ClassExplanations>, Vec<String>), Error> {
    let gathered = gather::<TextExplanation>(parts, "explanation")?;
    if gathered.errors > 0 {
        errln!("warning: passed over {} error records", gathered.errors);
    }
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    for (_, e) in &gathered.results {
        names.insert(e.class, e.class_name.clone());
        names.insert(e.predicted, e.predicted_name.clone());
    }
    let count = gathered.results.first().map_or(0, |(_, e)| e.scores.len());
    let names =
        (0..count).map(|c| names.get(&c).cloned().unwrap_or_else(|| c.to_string())).collect();
    let mut classes: BTreeMap<(usize, String), (Vec<String>, Vec<TextExplanation>)> =
        BTreeMap::new();
    for (id, e) in gathered.results {
        if only.is_none_or(|c| c == e.class_name) {
            let class = classes.entry((e.class, e.class_name.clone())).or_default();
            class.0.push(id);
            class.1.push(e);
        }
    }
    if let (Some(class), true) = (only, classes.is_empty()) {
        return Err(Failure::invalid(format!(
            "no explanation for class `{class}` in {}",
            parts.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ))
        .into());
    }
    Ok((
        classes
            .into_iter()
            .map(|((_, name), (ids, explanations))| (name, ids, explanations))
            .collect(),
        names,
    ))
}

pub(crate) fn run(args: SprayArgs) -> Result<(), Error> {
    let staged = StagedFolder::new(&args.out, args.force)?;
    let dir = staged.path();
    let options = args.cluster.options();
    // Each class's strategies computed here, or from explanations gathered from worker output.
    let (mut results, names): (Vec<TextStrategies>, Vec<String>) = if args.explanations.is_empty() {
        let model = args.model.load_any()?;
        let (corpus, _) = args.data.load(model.native().map(|m| &m.config))?;
        let classes: Vec<usize> = match &args.class {
            Some(name) => vec![model.class_index(name)?],
            None => (0..model.classes().len()).collect(),
        };
        let rule = args.rule.as_deref().unwrap_or(model.default_rule());
        let method = Method::parse("lrp", rule).map_err(TextError::from)?;
        let bar = ProgressBar::new(classes.len() as u64);
        let mut results = Vec::new();
        for k in classes {
            // The data set's classes matched to the model's by name (an ONNX model has its own order).
            let docs: Vec<_> = corpus
                .test
                .iter()
                .filter(|d| corpus.classes[d.label] == model.classes()[k])
                .cloned()
                .collect();
            if docs.len() >= 3 {
                results.push(class_strategies(
                    &model,
                    &docs,
                    k,
                    args.maps,
                    args.cluster.normalise,
                    &method,
                    &options,
                )?);
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        (results, model.classes().to_vec())
    } else {
        let (classes, names) = gathered(&args.explanations, args.class.as_deref())?;
        let results = classes
            .into_iter()
            .filter(|(_, ids, _)| ids.len() >= 3)
            .map(|(class, ids, explanations)| {
                strategies(&class, ids, explanations, args.maps, args.cluster.normalise, &options)
            })
            .collect::<Result<_, _>>()?;
        (results, names)
    };
    for r in &results {
        let name = outcome::output::file_name_part(&r.class);
        plot_class(&r.analysis, &name, "documents", dir)
            .map_err(|e| staged.name_destination(Failure::output(e.to_string())))?;
        for (c, cluster) in r.clusters.iter().enumerate() {
            for (m, id) in cluster.examples.iter().take(2).enumerate() {
                let Some(i) = r.documents.iter().position(|d| d == id) else { continue };
                let path = dir.join(format!("{name}-cluster{c}-example{m}.html"));
                std::fs::write(&path, explanation_html(&r.explanations[i], &names))
                    .map_err(|e| staged.name_destination(Failure::writing(&path, &e)))?;
            }
        }
    }
    rank_by_eigengap(&mut results, |r| &r.analysis);
    let json = dir.join("spray.json");
    std::fs::write(&json, serde_json::to_string_pretty(&results).expect("serialises"))
        .map_err(|e| staged.name_destination(Failure::writing(&json, &e)))?;
    if args.html {
        let page = dir.join("report.html");
        let title = format!(
            "relvis SpRAy: {} maps, {} classes",
            serde_json::to_value(args.maps).expect("serialises").as_str().unwrap_or("position"),
            results.len()
        );
        std::fs::write(&page, viewer::html(&spray_page(&results, &title)))
            .map_err(|e| staged.name_destination(Failure::writing(&page, &e)))?;
    }
    staged.commit()?;
    outln!(
        "{:<26} {:>5} {:>7} {:>7} {:>9} {:>8}  clusters: size (header share) top words",
        "class",
        "docs",
        "header",
        "words",
        "eigengap",
        "clusters"
    )?;
    for r in &results {
        outln!(
            "{:<26} {:>5} {:>7.3} {:>7.3} {:>9.4} {:>8}",
            r.class,
            r.documents.len(),
            r.header_share,
            r.header_word_share,
            r.analysis.largest_eigengap,
            r.analysis.clusters
        )?;
        for (c, cluster) in r.clusters.iter().enumerate() {
            let words: Vec<String> =
                cluster.top_words.iter().take(6).map(|(w, v)| format!("{w} {v:+.2}")).collect();
            outln!(
                "    {c}: {:>4} ({:.3})  {}",
                cluster.size,
                cluster.header_share,
                words.join(", ")
            )?;
        }
    }
    outln!("classes ranked by eigengap (largest first); header = mean share of positive relevance on header lines, words = header lines' share of the words; report in {}", args.out.display())?;
    Ok(())
}
