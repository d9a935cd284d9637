import Articles

enum QuotedPrintable {
    /// Encodes LF-separated text; encoded lines are at most 76 characters. A line
    /// starting with "From " or "." gets its first character encoded, so no transport
    /// has to quote or stuff it.
    static func encode(_ input: [UInt8], into out: inout [UInt8]) {
        input.withUnsafeBufferPointer { encode($0, into: &out) }
    }

    static func encode(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        // At most 3 bytes per input byte, plus a soft break ("=\n") per 24 or more of them.
        let capacity = input.count * 3 + (input.count / 20 + 2) * 2
        out.appendBytes(maxCount: capacity) { output in
            var written = 0
            var lineStart = 0
            while lineStart < input.count {
                let lineEnd = Bytes.index(of: 0x0A, in: input, from: lineStart)
                written = encodeLine(input, lineStart..<lineEnd, into: output, at: written)
                if lineEnd < input.count {
                    output[written] = 0x0A
                    written += 1
                }
                lineStart = lineEnd + 1
            }
            return written
        }
    }

    /// Encodes one line (without its LF) at `written`; returns the new end of the output.
    private static func encodeLine(
        _ input: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> Int {
        var written = start
        var column = 0
        var index = line.lowerBound
        let last = line.upperBound - 1
        while index < line.upperBound {
            // The common case, inside the line (not its last character) and past its
            // start: printable characters are copied and others written as =XX while
            // they fit before the soft-break column; the full rules below handle the rest.
            if column > 0 {
                var runStart = true
                while index < last {
                    let byte = input[index]
                    if isLiteralInside(byte) {
                        // At the start of a run, try eight printable ASCII bytes at a time.
                        if runStart {
                            runStart = false
                            copyPrintableWords(input, &index, last: last, out, &written, &column)
                            if index == last { break }
                            continue
                        }
                        guard column < 75 else { break }
                        out[written] = byte
                        written += 1
                        column += 1
                    } else {
                        guard column <= 72 else { break }
                        out[written] = UInt8(ascii: "=")
                        out[written + 1] = hexDigit(byte >> 4)
                        out[written + 2] = hexDigit(byte & 0x0F)
                        written += 3
                        column += 3
                        runStart = true
                    }
                    index += 1
                }
            }
            let byte = input[index]
            var literal = isLiteralInside(byte) && (index < last || (byte != 0x20 && byte != 0x09))
            // Keep room for the soft break "=" unless this is the last character of the line.
            if column + (literal ? 1 : 3) > (index == last ? 76 : 75) {
                out[written] = UInt8(ascii: "=")
                out[written + 1] = 0x0A
                written += 2
                column = 0
            }
            // Encoded lines (after hard and soft breaks alike) never start with "From " or ".".
            if column == 0 && literal && (byte == UInt8(ascii: ".") || startsFrom(input, at: index, end: line.upperBound)) {
                literal = false
            }
            if literal {
                out[written] = byte
                written += 1
                column += 1
            } else {
                out[written] = UInt8(ascii: "=")
                out[written + 1] = hexDigit(byte >> 4)
                out[written + 2] = hexDigit(byte & 0x0F)
                written += 3
                column += 3
            }
            index += 1
        }
        return written
    }

    /// Copies eight bytes at a time while all eight are printable ASCII but "=" (or a
    /// space), none of them is the line's last, and they fit before the soft-break column.
    @inline(__always)
    private static func copyPrintableWords(
        _ input: UnsafeBufferPointer<UInt8>, _ index: inout Int, last: Int, _ out: UnsafeMutableBufferPointer<UInt8>,
        _ written: inout Int, _ column: inout Int
    ) {
        while column <= 75 - 8 && index + 8 <= last {
            let word = UnsafeRawPointer(input.baseAddress! + index).loadUnaligned(as: UInt64.self)
            guard isPrintableWord(word) else { return }
            UnsafeMutableRawPointer(out.baseAddress! + written).storeBytes(of: word, as: UInt64.self)
            index += 8
            written += 8
            column += 8
        }
    }

    /// Are all eight bytes of `word` in 0x20…0x7E and none "="? (Bit tricks on the whole
    /// word: "has a byte less than n" and "has a zero byte", each exact as a yes/no.)
    @inline(__always)
    private static func isPrintableWord(_ word: UInt64) -> Bool {
        ByteWord.below(0x20, word) | ByteWord.high(word) | ByteWord.equal(0x7F, word) | ByteWord.equal(UInt8(ascii: "="), word)
            == 0
    }

    /// Printable ASCII but "=", and space and tab (which are literal unless they end a line).
    @inline(__always)
    private static func isLiteralInside(_ byte: UInt8) -> Bool {
        (byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "=")) || byte == 0x09
    }

    @inline(__always)
    private static func startsFrom(_ input: UnsafeBufferPointer<UInt8>, at index: Int, end: Int) -> Bool {
        index + 4 < end && input[index] == UInt8(ascii: "F") && input[index + 1] == UInt8(ascii: "r")
            && input[index + 2] == UInt8(ascii: "o") && input[index + 3] == UInt8(ascii: "m") && input[index + 4] == 0x20
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x37 + value }
}
