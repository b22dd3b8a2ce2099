//! The benchmarks' figures: percentiles of timings, and when a sampled value became final.

use std::time::Duration;

/// The `p`th percentile of `sorted` (ascending; zero when empty).
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted
        .get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// When a sampled value became final: the time of the first sample after the last one with
/// another value; `None` without samples.
pub fn settled_at<T: Copy, V: PartialEq>(samples: &[(T, V)]) -> Option<T> {
    let (mut at, last) = samples.last().map(|(t, v)| (*t, v))?;
    for (t, v) in samples.iter().rev() {
        if v != last {
            break;
        }
        at = *t;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_settles_after_its_last_change() {
        assert_eq!(settled_at(&[(1, 5), (2, 6), (3, 5), (4, 5)]), Some(3));
        assert_eq!(settled_at(&[(1, 5), (2, 5)]), Some(1));
        assert_eq!(settled_at::<u8, u8>(&[]), None);
    }

    #[test]
    fn percentiles_of_sorted_timings() {
        let ms = |n| Duration::from_millis(n);
        let v = [ms(1), ms(2), ms(3), ms(4)];
        assert_eq!(
            (percentile(&v, 50), percentile(&v, 100), percentile(&[], 50)),
            (ms(3), ms(4), Duration::ZERO)
        );
    }
}
