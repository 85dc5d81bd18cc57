//! "Did you mean" suggestions for unknown names.

/// The edit distance (insertions, deletions, substitutions) between `a` and `b`, ignoring case.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The message for an unknown `what` named `found`, with the closest of `known` as a suggestion
/// when one is close enough, else the list of the known names.
pub fn unknown(what: &str, found: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| (distance(found, k), *k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= (found.len().max(k.len()) / 3).max(1) => {
            format!("unknown {what} `{found}`; did you mean `{k}`?")
        }
        _ if known.is_empty() => format!("unknown {what} `{found}`: this takes none"),
        _ => format!("unknown {what} `{found}`; expected one of: {}", list(known)),
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
        assert!(
            unknown("transformer", "Afine", &["Affine", "Shift"]).contains("did you mean `Affine`")
        );
        assert!(unknown("layer", "Zzz", &["ActNorm"]).contains("expected one of"));
    }
}
