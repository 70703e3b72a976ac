//! The built front end, embedded in the binary (SPEC 8: the page works with no internet).
//! `web/dist` is built by `scripts/build-web.sh` (npm + Vite) and committed, so `cargo build`
//! needs no npm; Vite writes fixed file names (no content hashes), listed here.

/// One embedded file: URL path, content type, bytes.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// Every file of `web/dist`.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../../web/dist/index.html"),
    },
    Asset {
        path: "/assets/app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../web/dist/assets/app.js"),
    },
    Asset {
        path: "/assets/app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../web/dist/assets/app.css"),
    },
    Asset {
        path: "/favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../../web/dist/favicon.svg"),
    },
];

/// The asset served at `path` (`/index.html` is `/`).
pub fn asset(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS.iter().find(|asset| asset.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_references_only_embedded_assets() {
        let page = asset("/").map(|asset| std::str::from_utf8(asset.bytes));
        let Some(Ok(page)) = page else {
            panic!("index.html is not embedded as UTF-8");
        };
        // No CDN: every script and stylesheet the page loads is one of ours.
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
        for reference in ["/assets/app.js", "/assets/app.css"] {
            assert!(page.contains(reference), "{reference} missing from {page}");
            assert!(asset(reference).is_some_and(|asset| !asset.bytes.is_empty()));
        }
        assert!(asset("/index.html").is_some());
        assert!(asset("/etc/passwd").is_none());
    }
}
