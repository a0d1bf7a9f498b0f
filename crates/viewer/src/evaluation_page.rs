//! The evaluation page: per model, the table of methods × measures (sortable, the best value
//! of each measure marked) and the curves (deletion, insertion, randomisation) as charts whose
//! lines can be switched on and off per method. What a pipeline measures is up to its crate;
//! this module lays the numbers out.

use pipeline::figure::method_colour;
use pipeline::randomisation::RandomisationCurve;
use serde::Serialize;

use crate::shell;

/// Everything the evaluation page shows.
#[derive(Clone, Debug, Serialize)]
pub struct EvaluationPage {
    pub title: String,
    /// What an input is called: `document` or `clip`.
    pub item_name: String,
    /// The settings the models share, as label and value (`steps`, `50`).
    pub settings: Vec<(String, String)>,
    pub models: Vec<ModelView>,
}

/// One model's results.
#[derive(Clone, Debug, Serialize)]
pub struct ModelView {
    pub name: String,
    /// Inputs evaluated.
    pub inputs: usize,
    pub seconds: f64,
    pub columns: Vec<Column>,
    /// One row per method, in the report's order (the chance line `random` last).
    pub rows: Vec<MethodRow>,
    pub charts: Vec<Chart>,
}

/// Which way a measure is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
    /// The nearer zero the better, either sign (a correlation that should vanish).
    NearZero,
    /// Neither (a cost, or a measure read against another one).
    Neither,
}

/// A measure: its name in the table's header, what it is, and which way is better.
#[derive(Clone, Debug, Serialize)]
pub struct Column {
    pub name: String,
    pub description: String,
    pub better: Better,
    /// Digits after the point in the table.
    pub digits: usize,
}

impl Column {
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        better: Better,
        digits: usize,
    ) -> Self {
        Column { name: name.into(), description: description.into(), better, digits }
    }
}

/// A method's values, one per column (`None` where it has none), its line colour and whether
/// the randomisation test flagged it.
#[derive(Clone, Debug, Serialize)]
pub struct MethodRow {
    pub method: String,
    /// `#rrggbb`, as the report's pictures draw the method.
    pub colour: String,
    pub values: Vec<Option<f64>>,
    pub flagged: bool,
}

/// A chart of one line per method over shared `x` values.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x: Vec<f64>,
    /// Names for the `x` positions where they are not numbers (the randomised layers).
    pub x_names: Option<Vec<String>>,
    /// Per method (named as in the rows), its `y` at each `x`.
    pub lines: Vec<(String, Vec<f64>)>,
}

impl MethodRow {
    /// A method's row, coloured as the report's pictures draw it.
    pub fn new(method: &str, values: Vec<Option<f64>>, flagged: bool) -> Self {
        let c = method_colour(method);
        MethodRow {
            method: method.to_string(),
            colour: format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2),
            values,
            flagged,
        }
    }
}

impl Chart {
    /// The randomisation test's curves: Spearman ρ with the trained model's explanations
    /// after each step, from 1 for the trained model itself; a step is named by the part it
    /// randomised (`+` where the earlier ones stay randomised).
    pub fn randomisation(curves: &[RandomisationCurve]) -> Option<Chart> {
        let steps = curves.first()?.steps.len();
        let part = |s: &pipeline::randomisation::RandomisationStep| {
            s.randomised.last().cloned().unwrap_or_default()
        };
        let names = std::iter::once("none".to_string()).chain(
            curves[0].steps.iter().enumerate().map(|(k, s)| {
                if k == 0 {
                    part(s)
                } else {
                    format!("+{}", part(s))
                }
            }),
        );
        Some(Chart {
            title: "Randomisation test".into(),
            x_label: "randomised".into(),
            y_label: "Spearman ρ".into(),
            x: (0..=steps).map(|s| s as f64).collect(),
            x_names: Some(names.collect()),
            lines: curves
                .iter()
                .map(|c| {
                    (
                        c.method.clone(),
                        std::iter::once(1.0).chain(c.steps.iter().map(|s| s.spearman)).collect(),
                    )
                })
                .collect(),
        })
    }
}

/// The evaluation page as one self-contained HTML file.
pub fn evaluation_html(page: &EvaluationPage) -> String {
    shell::document(
        &page.title,
        include_str!("assets/evaluation.html"),
        include_str!("assets/evaluation.css"),
        include_str!("assets/evaluation.js"),
        page,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_say_which_way_is_better_in_lowercase() {
        let c = Column::new("AOPC", "area over the deletion curve", Better::Higher, 4);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["better"], "higher");
        assert_eq!(serde_json::to_value(Better::Neither).unwrap(), "neither");
        assert_eq!(serde_json::to_value(Better::NearZero).unwrap(), "nearzero");
    }

    #[test]
    fn rows_take_the_pictures_colours_and_randomisation_starts_at_one() {
        assert_eq!(MethodRow::new("gxi", vec![], false).colour, "#2ca02c");
        assert_eq!(
            MethodRow::new("lrp epsilon=0.01;conv1d:zplus", vec![], false).colour,
            "#ff7f0e"
        );
        use pipeline::randomisation::RandomisationStep;
        let step = |layers: &[&str], rho| RandomisationStep {
            randomised: layers.iter().map(|s| s.to_string()).collect(),
            spearman: rho,
            spearman_abs: rho,
            documents: 3,
        };
        let curve = RandomisationCurve {
            method: "sa".into(),
            steps: vec![step(&["dense"], 0.8), step(&["dense", "conv1d"], 0.6)],
            flagged: true,
        };
        let chart = Chart::randomisation(&[curve]).unwrap();
        assert_eq!(chart.x, vec![0.0, 1.0, 2.0]);
        assert_eq!(chart.x_names.unwrap(), vec!["none", "dense", "+conv1d"]);
        assert_eq!(chart.lines, vec![("sa".to_string(), vec![1.0, 0.8, 0.6])]);
        assert!(Chart::randomisation(&[]).is_none());
    }

    #[test]
    fn the_page_embeds_its_data_once_and_its_script() {
        let page = EvaluationPage {
            title: "t".into(),
            item_name: "document".into(),
            settings: vec![],
            models: vec![],
        };
        let out = evaluation_html(&page);
        assert_eq!(out.matches("id=\"relvis-data\"").count(), 1);
        assert!(out.contains("relvisEvaluation"), "the page's script is inline");
        assert!(!out.contains("src=\"http"), "nothing is fetched");
    }
}
