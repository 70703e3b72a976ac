//! Classification scores: ROC AUC and log-loss.

/// Area under the ROC curve of `scores` for 0/1 `labels` (Mann–Whitney U with tied scores
/// counted half); NaN when a class is absent.
pub fn auc(labels: &[f64], scores: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..labels.len().min(scores.len())).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let positives = order.iter().filter(|&&i| labels[i] == 1.0).count() as f64;
    let negatives = order.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return f64::NAN;
    }
    // Sum of positive ranks, ties sharing their mean rank (1-based).
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        let mean_rank = (start + end) as f64 / 2.0 + 1.0;
        for &index in &order[start..=end] {
            if labels[index] == 1.0 {
                rank_sum += mean_rank;
            }
        }
        start = end + 1;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

/// Mean binary cross-entropy, probabilities clipped to [1e-15, 1 − 1e-15].
pub fn log_loss(labels: &[f64], probabilities: &[f64]) -> f64 {
    let count = labels.len().min(probabilities.len());
    if count == 0 {
        return f64::NAN;
    }
    let total: f64 = labels
        .iter()
        .zip(probabilities)
        .map(|(label, p)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            -(label * p.ln() + (1.0 - label) * (1.0 - p).ln())
        })
        .sum();
    total / count as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_hand_worked() {
        // Positives at 0.8 and 0.4, negatives at 0.6 and 0.2: of 4 pairs, 3 are ordered
        // right (0.8>0.6, 0.8>0.2, 0.4>0.2) → 0.75.
        assert_eq!(auc(&[1.0, 0.0, 1.0, 0.0], &[0.8, 0.6, 0.4, 0.2]), 0.75);
        // A tie between a positive and a negative counts half: (1 + 0.5) / 2.
        assert_eq!(auc(&[1.0, 0.0, 0.0], &[0.5, 0.5, 0.1]), 0.75);
        assert!(auc(&[1.0, 1.0], &[0.1, 0.2]).is_nan());
    }

    #[test]
    fn log_loss_hand_worked() {
        // −(ln 0.8 + ln 0.5) / 2 = 0.458145...
        let loss = log_loss(&[1.0, 0.0], &[0.8, 0.5]);
        assert!((loss - 0.458_145_365_937_076_8).abs() < 1e-15);
    }
}
