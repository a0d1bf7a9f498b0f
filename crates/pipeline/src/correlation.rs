//! Rank correlations between two scorings of the same elements: Kendall's τ-b (faithfulness
//! correlation against leave-one-out drops) and Spearman's ρ (the randomisation test of
//! Adebayo et al. 2018, who report it).

/// Kendall's τ-b: `(C − D) / √((n₀ − T_a)(n₀ − T_b))` over the `n₀ = n(n−1)/2` pairs, with
/// `C`/`D` the concordant/discordant pairs and `T_a`, `T_b` the pairs tied in one scoring.
/// `None` when either scoring is constant (or holds fewer than two elements).
///
/// Counted over all pairs, `O(n²)`: documents hold at most a few hundred words, where this is
/// faster than Knight's `O(n log n)` merge sort and has no bookkeeping of ties to get wrong.
pub fn kendall_tau_b(a: &[f64], b: &[f64]) -> Option<f64> {
    assert_eq!(a.len(), b.len(), "two scorings of the same elements");
    let (mut concordant, mut discordant, mut tied_a, mut tied_b) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            let (da, db) = (a[i] - a[j], b[i] - b[j]);
            match (da == 0.0, db == 0.0) {
                (true, true) => {
                    tied_a += 1;
                    tied_b += 1;
                }
                (true, false) => tied_a += 1,
                (false, true) => tied_b += 1,
                (false, false) if (da > 0.0) == (db > 0.0) => concordant += 1,
                (false, false) => discordant += 1,
            }
        }
    }
    let pairs = (a.len() * a.len().saturating_sub(1) / 2) as i64;
    let denominator = (((pairs - tied_a) * (pairs - tied_b)) as f64).sqrt();
    (denominator > 0.0).then(|| (concordant - discordant) as f64 / denominator)
}

/// Spearman's ρ: Pearson's correlation of the ranks, tied values sharing their mean rank.
/// `None` when either scoring is constant (or holds fewer than two elements).
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    assert_eq!(a.len(), b.len(), "two scorings of the same elements");
    pearson(&ranks(a), &ranks(b))
}

/// Pearson's correlation; `None` when either side has no variance.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma) * (x - ma);
        bb += (y - mb) * (y - mb);
    }
    (aa > 0.0 && bb > 0.0).then(|| ab / (aa * bb).sqrt())
}

/// Ranks from 1, ties given the mean of the ranks they span.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let end =
            (start..order.len()).find(|&k| x[order[k]] != x[order[start]]).unwrap_or(order.len());
        let mean = (start + end + 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = mean);
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kendall_by_hand() {
        assert_eq!(kendall_tau_b(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
        assert_eq!(kendall_tau_b(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        // Pairs (01, 02, 12): concordant, concordant, discordant → 1/3.
        assert_eq!(kendall_tau_b(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]), Some(1.0 / 3.0));
        // a = (1, 1, 2), b = (1, 2, 3): pair 01 tied in a; 02, 12 concordant. τ-b = 2/√(2·3).
        let tau = kendall_tau_b(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]).unwrap();
        assert!((tau - 2.0 / 6f64.sqrt()).abs() < 1e-15);
        assert_eq!(kendall_tau_b(&[1.0, 1.0], &[1.0, 2.0]), None);
        assert_eq!(kendall_tau_b(&[1.0], &[1.0]), None);
    }

    #[test]
    fn spearman_by_hand() {
        // Ranks (1, 2, 3, 4) against (1, 3, 2, 4): d² sums to 2, ρ = 1 − 6·2/(4·15) = 0.8.
        let rho = spearman(&[0.1, 0.2, 0.3, 0.4], &[5.0, 7.0, 6.0, 9.0]).unwrap();
        assert!((rho - 0.8).abs() < 1e-12);
        // Ties share their mean rank: (1.5, 1.5, 3) against (1, 2, 3).
        assert_eq!(ranks(&[2.0, 2.0, 5.0]), vec![1.5, 1.5, 3.0]);
        let rho = spearman(&[2.0, 2.0, 5.0], &[1.0, 2.0, 3.0]).unwrap();
        assert!((rho - 0.75f64.sqrt() * 1.0).abs() < 1e-12, "{rho}");
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
    }
}
