use super::*;

#[test]
fn masks_round_trip_through_pbm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.pbm");
    let masks: Vec<Vec<bool>> =
        (0..3).map(|t| (0..13 * 5).map(|i| (i * 7 + t) % 3 == 0).collect()).collect();
    write_masks(&path, &masks, 13, 5).unwrap();
    assert_eq!(read_masks(&path).unwrap(), (13, 5, masks));
    std::fs::write(&path, b"P4\n13 5\n\x00").unwrap();
    assert!(read_masks(&path).unwrap_err().to_string().contains("truncated"));
}

#[test]
fn every_action_moves_its_figure_inside_the_picture() {
    let look = Look::random(&mut StdRng::seed_from_u64(3), 160, 120);
    let mut rng = StdRng::seed_from_u64(4);
    for action in ACTIONS {
        let (_, a) = render(action, &look, 0, (0.0, 0.0), None, &mut rng, (160, 120));
        let (_, b) = render(action, &look, 5, (0.0, 0.0), None, &mut rng, (160, 120));
        let (na, changed) =
            (a.iter().filter(|&&m| m).count(), a.iter().zip(&b).filter(|(x, y)| x != y).count());
        assert!(na > 200 && na < 160 * 120 / 3, "{action}: figure of {na} pixels");
        assert!(changed > 20, "{action}: only {changed} mask pixels change in 5 frames");
    }
}
