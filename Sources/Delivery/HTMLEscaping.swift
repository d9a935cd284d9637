import Articles

enum HTML {
    /// Appends `text` with & < > " ' escaped: runs without them are copied in one piece.
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        TextCleaning.withUTF8(text) { bytes in
            var runStart = 0
            var index = 0
            while index < bytes.count {
                // Eight bytes without a character to escape belong to the run.
                if index + 8 <= bytes.count {
                    let word = ByteWord.load(bytes, at: index)
                    let special =
                        ByteWord.equal(UInt8(ascii: "&"), word) | ByteWord.equal(UInt8(ascii: "<"), word)
                        | ByteWord.equal(UInt8(ascii: ">"), word) | ByteWord.equal(UInt8(ascii: "\""), word)
                        | ByteWord.equal(UInt8(ascii: "'"), word)
                    if special == 0 {
                        index += 8
                        continue
                    }
                }
                defer { index += 1 }
                let entity: StaticString
                switch bytes[index] {
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case UInt8(ascii: "'"): entity = "&#39;"
                default: continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                out.append(contentsOf: UnsafeBufferPointer(start: entity.utf8Start, count: entity.utf8CodeUnitCount))
                runStart = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
    }
}
