//! The application icon in `assets/`: every hicolor size the desktop asks for (16–512 px) is
//! there, decodes at its size with transparent corners (the rounded square), and the SVG source
//! is there too. `assets/make-icons.py` draws the PNGs from the SVG's shapes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn every_icon_size_is_there_at_its_size() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    for n in [16u32, 24, 32, 48, 64, 128, 256, 512] {
        let path = root.join(format!("icons/hicolor/{n}x{n}/apps/swarmglass.png"));
        let img = image::open(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .to_rgba8();
        assert_eq!(img.dimensions(), (n, n), "{}", path.display());
        assert_eq!(img.get_pixel(0, 0)[3], 0, "{n}: transparent corner");
        assert_eq!(img.get_pixel(n / 2, n / 2)[3], 255, "{n}: opaque middle");
    }
    let svg = std::fs::read_to_string(root.join("icon.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("viewBox=\"0 0 256 256\""));
}
