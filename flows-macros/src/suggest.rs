//! "Did you mean" suggestions for unknown names, by edit distance with transpositions.

/// The edit distance (insertions, deletions, substitutions, swaps of neighbours) between `a` and `b`, ignoring case.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    // Optimal string alignment: rows[i][j] is the distance between a[..i] and b[..j].
    let mut rows = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The message for an unknown `what` named `found` (`place` follows the name: " of `X`"), with
/// the closest of `known` as a suggestion when one is close enough, else the list of the known
/// names.
pub fn unknown(what: &str, found: &str, place: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| (distance(found, k), *k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= (found.len().max(k.len()) / 3).max(1) => {
            format!("unknown {what} `{found}`{place}; did you mean `{k}`?")
        }
        _ if known.is_empty() => format!("unknown {what} `{found}`{place}: it takes none"),
        _ => format!(
            "unknown {what} `{found}`{place}; expected one of: {}",
            list(known)
        ),
    }
}

/// `a`, `b`, `c` as a comma-separated list of code spans.
pub fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(distance("Afine", "Affine"), 1);
        assert_eq!(distance("Tahn", "Tanh"), 1);
        let known = ["Affine", "Shift"];
        assert!(unknown("transformer", "Afine", "", &known).contains("did you mean `Affine`"));
        assert!(unknown("layer", "Zzz", "", &["ActNorm"]).contains("expected one of"));
    }
}
