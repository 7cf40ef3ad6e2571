//! Google Cloud's naming rules: the service account and custom role ids
//! nhi derives from identity names, and how deny policies name a
//! permission.

/// A service account id for an identity's name: 6–30 characters, a letter
/// first (Google's rule), the name itself when it fits.
#[must_use]
pub fn account_id(name: &str) -> String {
    let mut id = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{name}")
    } else {
        name.to_owned()
    };
    if id.len() > 30 {
        id.truncate(30);
        while id.ends_with('-') {
            id.pop();
        }
    }
    if id.len() < 6 {
        id.push_str("-sa-nhi");
    }
    id
}

/// A custom role id for an identity's name: `nhi_` and the name with `_`
/// for `-`, at most 64 characters.
#[must_use]
pub fn role_id(name: &str) -> String {
    let mut id = format!("nhi_{}", name.replace('-', "_"));
    id.truncate(64);
    id
}

/// A permission (`storage.objects.delete`) as deny policies name it
/// (`storage.googleapis.com/objects.delete`).
#[must_use]
pub fn deny_permission(permission: &str) -> String {
    match permission.split_once('.') {
        Some((service, rest)) => format!("{service}.googleapis.com/{rest}"),
        None => permission.to_owned(),
    }
}
