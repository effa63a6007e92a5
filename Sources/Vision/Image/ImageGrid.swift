// Image grids: tile several images into one picture (for notebooks and augmentation previews).

extension Image {
    /// Tiles `images` row by row into one image.
    ///
    /// - Parameters:
    ///   - images: the tiles; they may differ in size (each cell is as large as the largest tile,
    ///     tiles sit at the cell's top-left corner).
    ///   - columns: tiles per row; by default the smallest count giving a roughly square grid.
    ///   - gutter: pixels between cells and around the border (1–2 is typical).
    ///   - scale: integer nearest-neighbour enlargement applied to every tile.
    ///   - background: colour of gutters and empty cells.
    public static func grid(_ images: [Image], columns: Int? = nil, gutter: Int = 1, scale: Int = 1,
                            background: RGB = .white) -> Image {
        precondition(!images.isEmpty, "Image.grid needs at least one image")
        precondition(scale >= 1 && gutter >= 0, "Image.grid needs scale ≥ 1 and gutter ≥ 0")
        let n = images.count
        let cols = max(1, min(n, columns ?? Int(Double(n).squareRoot().rounded(.up))))
        let rows = (n + cols - 1) / cols
        let cw = images.map(\.width).max()! * scale
        let ch = images.map(\.height).max()! * scale
        let ow = cols * cw + (cols + 1) * gutter
        let oh = rows * ch + (rows + 1) * gutter
        var out = Image(width: ow, height: oh, fill: background)
        out.pixels.withUnsafeMutableBufferPointer { dst in
            for (k, tile) in images.enumerated() {
                let ox = gutter + (k % cols) * (cw + gutter)
                let oy = gutter + (k / cols) * (ch + gutter)
                let tw = tile.width
                tile.pixels.withUnsafeBufferPointer { src in
                    for y in 0..<(tile.height * scale) {
                        let srow = (y / scale) * tw
                        let drow = (oy + y) * ow + ox
                        for x in 0..<(tw * scale) {
                            let s = (srow + x / scale) * 3, d = (drow + x) * 3
                            dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                        }
                    }
                }
            }
        }
        return out
    }

    /// Tiles `images` (see `grid(_:columns:gutter:scale:background:)`) and encodes the result as PNG.
    public static func gridPNG(_ images: [Image], columns: Int? = nil, gutter: Int = 1, scale: Int = 1,
                               background: RGB = .white) throws -> [UInt8] {
        try PNG.encode(grid(images, columns: columns, gutter: gutter, scale: scale, background: background))
    }
}
