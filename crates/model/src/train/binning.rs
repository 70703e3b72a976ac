//! Feature binning for histogram split finding (as LightGBM's `BinMapper`, simplified): each
//! feature's non-missing training values are cut into at most `max_bin` bins of about equal
//! row counts; bin `b` holds the values `<= upper[b]`, the last bin is unbounded, and NaN has
//! its own bin. A split "after bin b" is written to the model as `value <= upper[b]`, so
//! prediction on raw values takes exactly the path training took.

/// The bin of missing values.
pub const NAN_BIN: u8 = u8::MAX;
/// Largest `max_bin` (the NaN bin takes the last `u8`).
pub const MAX_BINS: usize = 254;

/// The cut points of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct BinMapper {
    /// Upper bound (inclusive) of each bin; the last is `+∞`.
    pub upper: Vec<f64>,
}

impl BinMapper {
    /// Cuts `values` (NaN ignored) into at most `max_bin` bins of about equal counts.
    /// Boundaries lie halfway between adjacent distinct values (never on a value).
    pub fn fit(values: &[f64], max_bin: usize) -> Self {
        let max_bin = max_bin.clamp(2, MAX_BINS);
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        // Distinct values with their counts.
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for value in sorted.iter().copied() {
            match distinct.last_mut() {
                Some((last, count)) if *last == value => *count += 1,
                _ => distinct.push((value, 1)),
            }
        }
        let mut upper = Vec::new();
        if distinct.len() <= max_bin {
            for pair in distinct.windows(2) {
                upper.push(midpoint(pair[0].0, pair[1].0));
            }
        } else {
            // Greedy equal-count cuts over the distinct values.
            let total = sorted.len() as f64;
            let per_bin = total / max_bin as f64;
            let mut seen = 0usize;
            let mut next_cut = per_bin;
            for pair in distinct.windows(2) {
                seen += pair[0].1;
                if seen as f64 >= next_cut && upper.len() + 1 < max_bin {
                    upper.push(midpoint(pair[0].0, pair[1].0));
                    while next_cut <= seen as f64 {
                        next_cut += per_bin;
                    }
                }
            }
        }
        upper.push(f64::INFINITY);
        Self { upper }
    }

    /// Number of value bins (the NaN bin not counted).
    pub fn bins(&self) -> usize {
        self.upper.len()
    }

    /// The bin of `value`.
    pub fn bin(&self, value: f64) -> u8 {
        if value.is_nan() {
            return NAN_BIN;
        }
        self.upper.partition_point(|bound| *bound < value) as u8
    }
}

/// Halfway between two adjacent values, never equal to the larger one (so `<=` keeps the
/// smaller value left and the larger right even when the two are one ulp apart).
fn midpoint(low: f64, high: f64) -> f64 {
    let middle = low + (high - low) / 2.0;
    if middle >= high || middle < low {
        low
    } else {
        middle
    }
}

/// A column-major binned training matrix.
#[derive(Debug, Clone)]
pub struct BinnedMatrix {
    pub mappers: Vec<BinMapper>,
    /// `bins[feature][row]`.
    pub bins: Vec<Vec<u8>>,
}

impl BinnedMatrix {
    /// Bins `columns` (one per feature) with mappers fitted on the same values.
    pub fn new(columns: &[Vec<f64>], max_bin: usize) -> Self {
        let mappers: Vec<BinMapper> = columns
            .iter()
            .map(|column| BinMapper::fit(column, max_bin))
            .collect();
        let bins = columns
            .iter()
            .zip(&mappers)
            .map(|(column, mapper)| column.iter().map(|v| mapper.bin(*v)).collect())
            .collect();
        Self { mappers, bins }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_one_bin_each() {
        // Values 1, 2, 2, 4 and a NaN: cuts at 1.5 and 3.0.
        let mapper = BinMapper::fit(&[2.0, 1.0, f64::NAN, 4.0, 2.0], 10);
        assert_eq!(mapper.upper, [1.5, 3.0, f64::INFINITY]);
        assert_eq!(mapper.bin(1.0), 0);
        assert_eq!(mapper.bin(1.5), 0); // `<=` the bound stays in the bin
        assert_eq!(mapper.bin(2.0), 1);
        assert_eq!(mapper.bin(100.0), 2);
        assert_eq!(mapper.bin(f64::NAN), NAN_BIN);
    }

    #[test]
    fn many_values_are_cut_into_equal_counts() {
        // 0..100 into 4 bins: a cut after every 25 values (24.5, 49.5, 74.5).
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let mapper = BinMapper::fit(&values, 4);
        assert_eq!(mapper.upper, [24.5, 49.5, 74.5, f64::INFINITY]);
    }

    #[test]
    fn a_constant_or_empty_column_has_one_bin() {
        assert_eq!(BinMapper::fit(&[3.0; 5], 8).bins(), 1);
        assert_eq!(BinMapper::fit(&[f64::NAN], 8).bins(), 1);
    }
}
