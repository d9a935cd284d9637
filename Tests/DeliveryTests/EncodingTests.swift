@testable import Delivery
import Foundation
import Testing

@Suite struct EncodingTests {
    @Test func quotedPrintableRoundTripsThroughPython() throws {
        var text = ""
        for k in 0..<160 {
            text += String(repeating: "a", count: k) + "From the start. ." + String(repeating: "ż", count: k % 13) + " \t \n"
            text += String(repeating: "=", count: k % 7) + String(repeating: "x", count: k) + ".\n.\nFrom x\n\n"
        }
        text += "tab at end\t"
        var encoded: [UInt8] = []
        QuotedPrintable.encode(Array(text.utf8), into: &encoded)
        let lines = String(decoding: encoded, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(!lines.contains { $0.hasPrefix("From ") || $0.hasPrefix(".") })
        #expect(!lines.contains { $0.hasSuffix(" ") || $0.hasSuffix("\t") })
        #expect(encoded.allSatisfy { $0 == 0x0A || $0 == 0x09 || (0x20...0x7E).contains($0) })
        let decoded = try Oracle.run("import sys, quopri\nsys.stdout.buffer.write(quopri.decodestring(sys.stdin.buffer.read()))", input: encoded)
        #expect(String(decoding: decoded, as: UTF8.self) == text)
    }

    @Test func encodedWordsNeverSplitACharacter() {
        let text = String(repeating: "ą😀👩‍👩‍👧e\u{301}", count: 30)
        for first in [20, 50, 69, 75] {
            let words = HeaderWriter.encodedWords(text, firstLength: first)
            #expect(words[0].utf8.count <= first)
            #expect(words.allSatisfy { $0.utf8.count <= 75 })
            var bytes: [UInt8] = []
            for word in words {
                let payload = word.dropFirst(10).dropLast(2)
                let data = Data(base64Encoded: String(payload))!
                #expect(String(validating: data, as: UTF8.self) != nil)
                bytes += data
            }
            #expect(String(decoding: bytes, as: UTF8.self) == text)
        }
    }

    @Test func cleaningHeaderText() {
        #expect(TextCleaning.line("  a\r\nb\u{0}c\u{202E}d\t\te  ", maxCharacters: 100) == "a b c d e")
        #expect(TextCleaning.line("plain ascii", maxCharacters: 100) == "plain ascii")
        #expect(TextCleaning.line("abcdef", maxCharacters: 4) == "abc…")
        #expect(TextCleaning.line("👩‍👩‍👧👩‍👩‍👧👩‍👩‍👧", maxCharacters: 2) == "👩‍👩‍👧…")
        #expect(TextCleaning.link("https://x.example/a b") == "https://x.example/a%20b")
        #expect(TextCleaning.link("HTTP://x.example/") == "HTTP://x.example/")
        #expect(TextCleaning.link("java\nscript:alert(1)") == nil)
        #expect(TextCleaning.link("//x.example/") == nil)
        #expect(TextCleaning.body("a\r\nb\rc\u{7}d  \n\n", maxCharacters: 100) == "a\nb\ncd")
    }
}
