//! Region names, and the cloud each belongs to by its shape: AWS writes
//! `eu-west-1` (`us-gov-west-1`), Google Cloud `europe-west1`, Azure
//! `westeurope`. No name fits two shapes, so `context.regions` can list the
//! regions of every cloud an identity runs in and each cloud takes its own.

/// Whether `name` is shaped like an AWS region: a two-letter area, one or
/// more words, and a number (`eu-west-1`, `ap-southeast-2`, `us-gov-east-1`).
#[must_use]
pub fn is_aws(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    match parts.as_slice() {
        [area, words @ .., number] => {
            area.len() == 2
                && area.bytes().all(|b| b.is_ascii_lowercase())
                && !words.is_empty()
                && words
                    .iter()
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// Whether `name` is shaped like a Google Cloud region: a continent, a
/// direction ending in a number (`europe-west1`, `us-central1`,
/// `northamerica-northeast2`).
#[must_use]
pub fn is_gcp(name: &str) -> bool {
    let Some((area, rest)) = name.split_once('-') else {
        return false;
    };
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let letters = rest.strip_suffix(digits).unwrap_or(rest);
    !area.is_empty()
        && area.bytes().all(|b| b.is_ascii_lowercase())
        && !letters.is_empty()
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `name` is shaped like an Azure region: one lower-case word,
/// perhaps ending in a number (`westeurope`, `eastus2`, `uksouth`).
#[must_use]
pub fn is_azure(name: &str) -> bool {
    let digits = name.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let letters = name.strip_suffix(digits).unwrap_or(name);
    letters.len() >= 4 && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::{is_aws, is_azure, is_gcp};

    #[test]
    fn each_region_belongs_to_one_cloud() {
        for (name, aws, gcp, azure) in [
            ("eu-west-1", true, false, false),
            ("us-gov-west-1", true, false, false),
            ("ap-southeast-2", true, false, false),
            ("europe-west1", false, true, false),
            ("us-central1", false, true, false),
            ("northamerica-northeast2", false, true, false),
            ("westeurope", false, false, true),
            ("eastus2", false, false, true),
            ("uksouth", false, false, true),
            ("eu", false, false, false),
            ("EU-WEST-1", false, false, false),
            ("eu-west-", false, false, false),
            ("", false, false, false),
        ] {
            assert_eq!(
                (is_aws(name), is_gcp(name), is_azure(name)),
                (aws, gcp, azure),
                "{name}"
            );
        }
    }
}
