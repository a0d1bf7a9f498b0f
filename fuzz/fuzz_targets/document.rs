//! Bytes given as a document: the reader, cleaning, the tokenizer, prediction and the LRP
//! explanation with the embedded model. Errors are fine; panics and non-finite outputs are not.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use text::TextModel;
use text::Method;
use text::TextClassifier;

fn model() -> &'static TextClassifier {
    static MODEL: OnceLock<TextClassifier> = OnceLock::new();
    MODEL.get_or_init(|| text::default_model().expect("the embedded model loads"))
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(document) = text::read_document(bytes) else { return };
    let model = model();
    let prediction = model.predict(&document).expect("a document the reader accepts is predicted");
    assert!(prediction.scores.iter().chain(&prediction.probabilities).all(|v| v.is_finite()));
    let method =
        Method::parse("lrp", text::DEFAULT_RULE).expect("the default rule parses");
    let explanation = model.explain(&document, None, &method).expect("and explained");
    assert!(explanation.words.iter().all(|w| w.relevance.is_finite()));
    for w in &explanation.words {
        assert!(
            explanation.text.is_char_boundary(w.span.start)
                && explanation.text.is_char_boundary(w.span.end)
        );
    }
});
