//! Stage 7, reports: explanations as coloured words (terminal and HTML), the deletion and
//! evaluation curves, SpRAy maps of a class's explanations, and the viewer's pages.

mod evaluation_page;
mod plot;
mod render;
mod spray_maps;
mod spray_page;

pub use evaluation_page::evaluation_page;
pub use plot::{plot_deletion, plot_evaluation};
pub use render::{
    ansi256, escape_html, explanation_html, heat_colour, unknown_words_note, write_terminal,
    ColorWhen, Palette,
};
pub use spray_maps::{
    class_strategies, cluster_summary, header_share, position_map, strategies, HeaderShare,
    MapKind, TextCluster, TextStrategies, BODY_BINS, HEADER_BINS, TOP_WORDS, VOCABULARY,
};
pub use spray_page::{spray_page, title, word_level};
