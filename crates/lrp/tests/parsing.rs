//! Rules and composites as text (the form the command-line tools take).

mod common;

use common::ALL_RULES;
use lrp::{Composite, LayerKind, Rule};

#[test]
fn every_rule_round_trips_through_its_text() {
    for rule in ALL_RULES {
        assert_eq!(rule.to_string().parse::<Rule>().unwrap(), rule, "{rule}");
    }
}

#[test]
fn defaults_and_aliases() {
    assert_eq!("epsilon".parse::<Rule>().unwrap(), Rule::Epsilon(lrp::DEFAULT_EPSILON));
    assert_eq!("alphabeta".parse::<Rule>().unwrap(), Rule::AlphaBeta { alpha: 2.0, beta: 1.0 });
    assert_eq!("AlphaBeta=1,0".parse::<Rule>().unwrap(), Rule::ZPLUS);
    assert_eq!("w2".parse::<Rule>().unwrap(), Rule::WSquare);
    assert_eq!(Rule::ZPLUS.to_string(), "zplus");
}

#[test]
fn bad_rules_say_what_is_wrong() {
    for (text, needle) in [
        ("alphabeta=3,1", "alpha − beta must be 1"),
        ("epsilon=-1", "epsilon must be finite"),
        ("epsilon=x", "`x` in `epsilon=x` is not a number"),
        ("zb", "needs bounds"),
        ("zb=1,-1", "low ≤ high"),
        ("flat=2", "takes no parameters"),
        ("gradient", "unknown rule `gradient`"),
        ("alphabeta=2", "takes 2 number(s)"),
    ] {
        let err = text.parse::<Rule>().unwrap_err().to_string();
        assert!(err.contains(needle), "{text}: {err}");
    }
}

#[test]
fn composites_resolve_index_over_kind_over_default() {
    let c: Composite = "epsilon=0.1;conv1d:zplus;0:flat".parse().unwrap();
    assert_eq!(c.rule_for(0, LayerKind::Dense), Rule::Flat);
    assert_eq!(c.rule_for(1, LayerKind::Conv1d), Rule::ZPLUS);
    assert_eq!(c.rule_for(4, LayerKind::Dense), Rule::Epsilon(0.1));
    assert_eq!(c.to_string().parse::<Composite>().unwrap(), c);
    assert!("epsilon;zplus".parse::<Composite>().is_err());
    assert!("relu:flat".parse::<Composite>().is_err());
}
