//! Medians and spreads of repeated runs.

/// The median; the mean of the middle two for an even count. NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let sorted = sorted(values);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Nearest-rank percentile (p in 0..=1).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let sorted = sorted(values);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub fn min(values: &[f64]) -> f64 {
    values.iter().cloned().fold(f64::NAN, f64::min)
}

pub fn max(values: &[f64]) -> f64 {
    values.iter().cloned().fold(f64::NAN, f64::max)
}

/// Summary of one series as JSON: median, min, max, p90 and the raw values.
pub fn summary(values: &[f64]) -> serde_json::Value {
    serde_json::json!({
        "n": values.len(),
        "median": round(median(values)),
        "min": round(min(values)),
        "max": round(max(values)),
        "p90": round(percentile(values, 0.9)),
        "values": values.iter().map(|v| round(*v)).collect::<Vec<_>>(),
    })
}

/// Three decimals are more than any of these figures can claim.
pub fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().cloned().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.9), 9.0);
        assert_eq!(percentile(&v, 1.0), 10.0);
    }
}
