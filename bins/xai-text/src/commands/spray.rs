//! `xai-text spray`: SpRAy over a class's explanations (or every class's, ranked by eigengap).

use std::path::PathBuf;

use clap::Args;
use indicatif::ProgressBar;
use outcome::output::StagedFolder;
use outcome::{outln, Failure};
use spray::cli::ClusterArgs;
use spray::plot::plot_class;
use spray::rank_by_eigengap;
use text::explain::{Method, DEFAULT_RULE};
use text::render::html;
use text::spray_maps::{class_strategies, MapKind};

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
    /// LRP rule, as for `explain`.
    #[arg(long, default_value = DEFAULT_RULE)]
    rule: String,
    /// Folder for the report (refused if it exists, unless --force).
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: SprayArgs) -> Result<(), Error> {
    let model = args.model.load_any()?;
    let (corpus, _) = args.data.load(model.native().map(|m| &m.config))?;
    let classes: Vec<usize> = match &args.class {
        Some(name) => vec![model.class_index(name)?],
        None => (0..model.classes().len()).collect(),
    };
    let staged = StagedFolder::new(&args.out, args.force)?;
    let dir = staged.path();
    let method = Method::parse("lrp", &args.rule)?;
    let options = args.cluster.options();
    let bar = ProgressBar::new(classes.len() as u64);
    let mut results = Vec::new();
    for &k in &classes {
        // The data set's classes matched to the model's by name (an ONNX model has its own order).
        let docs: Vec<_> = corpus.test.iter().filter(|d| corpus.classes[d.label] == model.classes()[k]).cloned().collect();
        if docs.len() < 3 {
            continue;
        }
        let r = class_strategies(model.as_ref(), &docs, k, args.maps, args.cluster.normalise, &method, &options)?;
        let name = outcome::output::file_name_part(&r.class);
        plot_class(&r.analysis, &name, "documents", dir).map_err(|e| staged.name_destination(Failure::output(e.to_string())))?;
        for (c, cluster) in r.clusters.iter().enumerate() {
            for (m, id) in cluster.examples.iter().take(2).enumerate() {
                let Some(i) = r.documents.iter().position(|d| d == id) else { continue };
                let path = dir.join(format!("{name}-cluster{c}-example{m}.html"));
                std::fs::write(&path, html(&r.explanations[i], model.classes())).map_err(|e| staged.name_destination(Failure::writing(&path, &e)))?;
            }
        }
        results.push(r);
        bar.inc(1);
    }
    bar.finish_and_clear();
    rank_by_eigengap(&mut results, |r| &r.analysis);
    let json = dir.join("spray.json");
    std::fs::write(&json, serde_json::to_string_pretty(&results).expect("serialises")).map_err(|e| staged.name_destination(Failure::writing(&json, &e)))?;
    staged.commit()?;
    outln!("{:<26} {:>5} {:>7} {:>7} {:>9} {:>8}  clusters: size (header share) top words", "class", "docs", "header", "words", "eigengap", "clusters")?;
    for r in &results {
        outln!("{:<26} {:>5} {:>7.3} {:>7.3} {:>9.4} {:>8}", r.class, r.documents.len(), r.header_share, r.header_word_share, r.analysis.largest_eigengap, r.analysis.clusters)?;
        for (c, cluster) in r.clusters.iter().enumerate() {
            let words: Vec<String> = cluster.top_words.iter().take(6).map(|(w, v)| format!("{w} {v:+.2}")).collect();
            outln!("    {c}: {:>4} ({:.3})  {}", cluster.size, cluster.header_share, words.join(", "))?;
        }
    }
    outln!("classes ranked by eigengap (largest first); header = mean share of positive relevance on header lines, words = header lines' share of the words; report in {}", args.out.display())?;
    Ok(())
}
