//! What every page of the viewer is: one HTML file with its markup, styles, script and data
//! inline, so that it opens from the disk with no server and no network.

use serde::Serialize;

/// Styles every page shares (the header, headings, figures), before the page's own.
const COMMON_STYLE: &str = include_str!("assets/common.css");
/// Script every page shares (`element`), before the page's own.
const COMMON_SCRIPT: &str = include_str!("assets/common.js");

/// The page titled `title`: `body` (where `{title}` stands for the title), `style` after the
/// common styles, `data` as JSON in the script element `relvis-data`, then `script` after the
/// common script.
pub(crate) fn document(
    title: &str,
    body: &str,
    style: &str,
    script: &str,
    data: &impl Serialize,
) -> String {
    // `</` inside the JSON would end the script element early.
    let data = serde_json::to_string(data).expect("serialises").replace("</", "<\\/");
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n<title>{title}</title>\n<style>\n{COMMON_STYLE}{style}</style>\n</head>\n<body>\n{}\n<script type=\"application/json\" id=\"relvis-data\">{data}</script>\n<script>\n{COMMON_SCRIPT}{script}</script>\n</body>\n</html>\n",
        body.replace("{title}", &title)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
