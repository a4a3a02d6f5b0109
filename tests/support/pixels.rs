//! Reading chart PNGs back in tests.

/// The pixels of a PNG file as RGB triples (decoded with the `png` crate).
pub fn rgb_pixels(path: &std::path::Path) -> Vec<[u8; 3]> {
    let mut decoder = png::Decoder::new(std::fs::File::open(path).expect("open PNG"));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    bytes
        .chunks(channels)
        .map(|p| match channels {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect()
}
