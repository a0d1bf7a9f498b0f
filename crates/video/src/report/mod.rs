//! Stage 6, reports: the report folder with its overlays and charts, SpRAy maps of clips and
//! frames, and the viewer's pages.

mod charts;
mod draw;
mod evaluation_page;
mod overlay;
mod report_folder;
mod spray_maps;
mod spray_page;

pub use charts::{
    binned, plot_cluster_maps, plot_evaluation, plot_frame_relevance, plot_perturbation,
};
pub use draw::draw_field_png;
pub use evaluation_page::evaluation_page;
pub use overlay::{montage, overlay, save_png};
pub use report_folder::{write_report, ReportFiles, ReportOptions};
pub use spray_maps::{
    class_strategies, frame_phases, pooled_record, purity, strategies, ClassStrategies, ClipView,
    Grid, SprayMapSettings, SHOWN_FRAMES,
};
pub use spray_page::spray_page;
