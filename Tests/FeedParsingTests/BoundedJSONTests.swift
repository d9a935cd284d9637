@testable import FeedParsing
import TestSupport
import Testing

/// The JSON reader for CSAF documents: RFC 8259 exactly, and every bound holds on hostile input.
@Suite struct BoundedJSONTests {
    static func json(_ text: String, limits: JSONLimits = JSONLimits()) throws -> JSONValue {
        try BoundedJSON.parse(Array(text.utf8), limits: limits)
    }

    /// What a user reads: `line L, column C: reason`, or nil when the document parsed.
    static func failure(_ bytes: [UInt8], limits: JSONLimits = JSONLimits()) -> String? {
        do {
            _ = try BoundedJSON.parse(bytes, limits: limits)
            return nil
        } catch {
            return error.description
        }
    }

    static func failure(_ text: String, limits: JSONLimits = JSONLimits()) -> String? {
        failure(Array(text.utf8), limits: limits)
    }

    // MARK: - Values

    @Test func everyScalar() throws {
        #expect(try Self.json("null") == .null)
        #expect(try Self.json("true") == .bool(true))
        #expect(try Self.json(" false ") == .bool(false))
        #expect(try Self.json(#""CSAF""#) == .string("CSAF"))
        #expect(try Self.json(#""""#) == .string(""))
        #expect(try Self.json("\n\t\r 42 \n") == .number(42))
        #expect(try Self.json("-12.5e-1") == .number(-1.25))
        #expect(try Self.json("1E+2") == .number(100))
        #expect(try Self.json("-0").number?.sign == .minus)
    }

    @Test func numbersRoundLikeStrtod() throws {
        // Fast path (≤ 15 digits, small exponent) and slow path alike must match Double(String).
        let texts = [
            "0.1", "0.30000000000000004", "123456789012345", "1234567890123456789", "9007199254740993",
            "123456789012345.6789", "1e22", "1e23", "5e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
            "0.000001234", "1e-999999", "-4.9406564584124654e-324", String(repeating: "9", count: 300),
            "0." + String(repeating: "0", count: 300) + "1",
        ]
        for text in texts {
            #expect(try Self.json(text) == .number(Double(text)!), "\(text)")
        }
    }

    @Test func randomNumbersRoundLikeStrtod() throws {
        // Short mantissas with small exponents take the exact fast path; the rest go to strtod.
        var generator = SplitMix(seed: 8259)
        func digits(_ count: ClosedRange<Int>) -> String {
            String((0..<Int.random(in: count, using: &generator)).map { _ in
                Character(Unicode.Scalar(UInt8.random(in: 48...57, using: &generator)))
            })
        }
        for _ in 0..<20_000 {
            var text = Bool.random(using: &generator) ? "-" : ""
            text += Int.random(in: 0..<4, using: &generator) == 0 ? "0" : "\(Int.random(in: 1...9, using: &generator))" + digits(0...12)
            if Bool.random(using: &generator) { text += "." + digits(1...12) }
            if Bool.random(using: &generator) { text += "e\(Int.random(in: -40...40, using: &generator))" }
            #expect(try Self.json(text) == .number(Double(text)!), "\(text)")
        }
    }

    @Test func nestingAndAccessors() throws {
        let value = try Self.json(#"{"document": {"tracking": {"id": "RHSA-1"}}, "list": [1, [2, [true]], {}, []], "n": null}"#)
        #expect(value["document"]?["tracking"]?["id"]?.string == "RHSA-1")
        let list = try #require(value["list"]?.array)
        #expect(list.count == 4)
        #expect(list[0].number == 1)
        #expect(list[1].array?[1].array == [.bool(true)])
        #expect(list[2].object?.count == 0)
        #expect(list[3].array == [])
        #expect(value["n"] == .null)
        #expect(value["missing"] == nil)
        // Accessors of the wrong kind are nil.
        #expect(value["list"]?.string == nil)
        #expect(value["n"]?.object == nil)
        #expect(list[0]["key"] == nil)
        #expect(list[1].number == nil)
        #expect(list[0].bool == nil)
    }

    @Test func objectKeepsKeyOrderAndTheLastRepeatWins() throws {
        let object = try #require(try Self.json(#"{"z": 1, "a": 2, "m": 3, "a": 4}"#).object)
        #expect(object.keys == ["z", "a", "m", "a"])
        #expect(object.count == 4)
        #expect(object["a"] == .number(4))
        #expect(object["z"] == .number(1))
        #expect(object["nope"] == nil)

        // Large objects look keys up through an index; the same rule holds.
        let members = (0..<40).map { #""k\#($0)": \#($0)"# } + [#""k7": "last""#]
        let large = try #require(try Self.json("{" + members.joined(separator: ",") + "}").object)
        #expect(large.keys.count == 41)
        #expect(large.keys.prefix(3) == ["k0", "k1", "k2"])
        #expect(large["k7"] == .string("last"))
        #expect(large["k39"] == .number(39))
        #expect(large["k40"] == nil)
    }

    @Test func bothEntryPointsAgree() throws {
        let bytes = Array(#"{"a": [1, "b"]}"#.utf8)
        let fromArray = try BoundedJSON.parse(bytes)
        let fromBuffer = try bytes.withUnsafeBytes { try BoundedJSON.parse($0) }
        #expect(fromArray == fromBuffer)
        #expect(fromArray["a"]?.array == [.number(1), .string("b")])
    }

    // MARK: - Strings

    @Test func escapes() throws {
        #expect(try Self.json(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try Self.json(#""caf\u00e9 \u20AC""#) == .string("café €"))
        #expect(try Self.json(#""\ud83d\ude00 ok""#) == .string("😀 ok"))
        // Lone surrogates have no UTF-8 form: each becomes U+FFFD.
        #expect(try Self.json(#""a\ud83db""#) == .string("a\u{FFFD}b"))
        #expect(try Self.json(#""\ude00""#) == .string("\u{FFFD}"))
        #expect(try Self.json(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
        #expect(try Self.json(#""\ud83d\ud83d\ude00""#) == .string("\u{FFFD}😀"))
        #expect(Self.failure(#""\x""#) == #"line 1, column 2: invalid escape '\x'"#)
        #expect(Self.failure(#"["\u12G4"]"#) == #"line 1, column 3: invalid \u escape; expected four hex digits"#)
        #expect(Self.failure(#""abc\"#) == "line 1, column 1: unterminated string")
    }

    @Test func stringsOfEveryLengthAroundTheWordScan() throws {
        // Quotes, escapes and multi-byte characters at every offset within and across 8-byte words.
        for n in 0..<20 {
            let pad = String(repeating: "x", count: n)
            #expect(try Self.json(#""\#(pad)""#) == .string(pad))
            #expect(try Self.json(#""\#(pad)\n\#(pad)é""#) == .string(pad + "\n" + pad + "é"))
            #expect(try Self.json(#""\#(pad)€\#(pad)😀\#(pad)""#) == .string(pad + "€" + pad + "😀" + pad))
            #expect(Self.failure("\"\(pad)\u{1}\"") == "line 1, column \(n + 2): unescaped control character U+0001 in a string")
        }
    }

    @Test func controlCharactersMustBeEscaped() {
        #expect(Self.failure("{\"a\":\n\"tab\there\"}") == "line 2, column 5: unescaped control character U+0009 in a string")
        #expect(Self.failure("\"line\nbreak\"") == "line 1, column 6: unescaped control character U+000A in a string")
    }

    @Test func invalidUTF8InStrings() {
        func document(_ bad: [UInt8]) -> [UInt8] { Array("{\"a\":\n  \"ok é ".utf8) + bad + Array("\"}".utf8) }
        // `é` is two bytes, so the bad sequence starts at byte column 10 of line 2.
        let cases: [(String, [UInt8])] = [
            ("overlong slash", [0xC0, 0xAF]),
            ("overlong 3-byte", [0xE0, 0x80, 0xAF]),
            ("overlong 4-byte", [0xF0, 0x80, 0x80, 0xAF]),
            ("UTF-8 encoded surrogate", [0xED, 0xA0, 0x80]),
            ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("truncated sequence", [0xE2, 0x82]),
            ("truncated 4-byte sequence", [0xF0, 0x9F, 0x98]),
            ("lone continuation byte", [0x80]),
            ("byte 0xF5", [0xF5, 0x80, 0x80, 0x80]),
            ("byte 0xFF", [0xFF]),
        ]
        for (name, bad) in cases {
            #expect(Self.failure(document(bad)) == "line 2, column 10: invalid UTF-8", "\(name)")
        }
        #expect(Self.failure(Array("\"abc".utf8) + [0xF0, 0x9F]) == "line 1, column 5: invalid UTF-8")
        #expect(Self.failure(Array("[1, ".utf8) + [0xC3, 0xA9]) == "line 1, column 5: unexpected byte 0xC3")
        #expect(Self.failure(document([0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80])) == nil)
    }

    // MARK: - Limits

    @Test func deepNestingStopsAtTheLimitAndFast() {
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        let start = ContinuousClock.now
        #expect(Self.failure(deep) == "line 1, column 129: nesting deeper than 128 levels")
        #expect(ContinuousClock.now - start < .seconds(1))

        let objects = String(repeating: #"{"a":"#, count: 200)
        #expect(Self.failure(objects) == "line 1, column 641: nesting deeper than 128 levels")
        let limit = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(Self.failure(limit) == nil)
        #expect(Self.failure("[[[]]]", limits: JSONLimits(maxDepth: 2)) == "line 1, column 3: nesting deeper than 2 levels")
    }

    @Test func documentSizeIsCheckedFirst() {
        var huge = [UInt8](repeating: UInt8(ascii: "a"), count: 30 << 20)
        huge[0] = UInt8(ascii: "\"")
        huge[huge.count - 1] = UInt8(ascii: "\"")
        #expect(Self.failure(huge) == "line 1, column 1: document larger than 20971520 bytes")
        #expect(Self.failure("[1, 2]", limits: JSONLimits(maxBytes: 5)) == "line 1, column 1: document larger than 5 bytes")
        #expect(Self.failure("[1, 2]", limits: JSONLimits(maxBytes: 6)) == nil)
    }

    @Test func stringSizeCountsDecodedBytes() {
        let limits = JSONLimits(maxStringBytes: 16)
        let sixteen = String(repeating: "a", count: 16)
        #expect(Self.failure(#"["\#(sixteen)"]"#, limits: limits) == nil)
        #expect(Self.failure(#"[1, "\#(sixteen)b"]"#, limits: limits) == "line 1, column 5: string longer than 16 bytes")
        #expect(Self.failure(#"{"\#(sixteen)é": 1}"#, limits: limits) == "line 1, column 2: string longer than 16 bytes")
        // 32 bytes written, 16 decoded.
        #expect(Self.failure(#""\#(String(repeating: #"\n"#, count: 16))""#, limits: limits) == nil)
        #expect(Self.failure(#""\#(String(repeating: #"\n"#, count: 17))""#, limits: limits) == "line 1, column 1: string longer than 16 bytes")
    }

    @Test func numbersOutOfRangeAndTooLong() {
        #expect(Self.failure("1e999999") == "line 1, column 1: number out of range")
        #expect(Self.failure("[0, -1e999999]") == "line 1, column 5: number out of range")
        #expect(Self.failure("1" + String(repeating: "0", count: 309)) == "line 1, column 1: number out of range")
        let long = "[" + String(repeating: "1", count: 1001) + "]"
        #expect(Self.failure(long) == "line 1, column 2: number longer than 1000 characters")
    }

    // MARK: - Grammar

    @Test func whatRFC8259DoesNotAllow() {
        let cases: [(String, String)] = [
            ("01", "line 1, column 1: number with a leading zero"),
            ("[-012]", "line 1, column 2: number with a leading zero"),
            ("+1", "line 1, column 1: unexpected character '+'"),
            (".5", "line 1, column 1: unexpected character '.'"),
            ("1.", "line 1, column 3: unexpected end of the document; expected a digit after '.'"),
            ("[1.e5]", "line 1, column 4: expected a digit after '.', found character 'e'"),
            ("1e", "line 1, column 3: unexpected end of the document; expected a digit in the exponent"),
            ("-", "line 1, column 2: unexpected end of the document; expected a digit after '-'"),
            ("NaN", "line 1, column 1: unexpected character 'N'"),
            ("-Infinity", "line 1, column 2: expected a digit after '-', found character 'I'"),
            ("[1, 2,]", "line 1, column 7: trailing comma before ']'"),
            ("{\"a\": 1,\n }", "line 2, column 2: trailing comma before '}'"),
            ("[1 2]", "line 1, column 4: expected ',' or ']', found character '2'"),
            ("{\"a\" 1}", "line 1, column 6: expected ':' after the member name, found character '1'"),
            ("{a: 1}", "line 1, column 2: expected a member name in double quotes, found character 'a'"),
            ("{'a': 1}", "line 1, column 2: expected a member name in double quotes, found character ''' (JSON strings take double quotes)"),
            ("['a']", "line 1, column 2: unexpected character ''' (JSON strings take double quotes)"),
            ("// note\n{}", "line 1, column 1: unexpected character '/' (JSON has no comments)"),
            ("[1, /* two */ 2]", "line 1, column 5: unexpected character '/' (JSON has no comments)"),
            ("[1}", "line 1, column 3: expected ',' or ']', found character '}'"),
            ("tru", "line 1, column 1: invalid literal; expected 'true'"),
            ("nul", "line 1, column 1: invalid literal; expected 'null'"),
            ("True", "line 1, column 1: unexpected character 'T'"),
            ("[", "line 1, column 2: unexpected end of the document"),
            ("{\"a\": [1,\n", "line 2, column 1: unexpected end of the document"),
            ("\"open", "line 1, column 1: unterminated string"),
            ("", "line 1, column 1: unexpected end of the document"),
            (" \n ", "line 2, column 2: unexpected end of the document"),
            ("[1]\u{0}", "line 1, column 4: unexpected data after the document"),
        ]
        for (text, message) in cases {
            #expect(Self.failure(text) == message, "\(text)")
        }
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try BoundedJSON.parse(bom + Array(#"{"a": 1}"#.utf8))["a"] == .number(1))
        // Columns count from after the mark.
        #expect(Self.failure(bom + Array("[x]".utf8)) == "line 1, column 2: unexpected character 'x'")
        // Only at the very start.
        #expect(Self.failure(Array(" ".utf8) + bom + Array("1".utf8)) == "line 1, column 2: unexpected byte 0xEF")
        #expect(Self.failure(bom) == "line 1, column 1: unexpected end of the document")
    }

    @Test func nothingMayFollowTheDocument() {
        #expect(Self.failure("{} x") == "line 1, column 4: unexpected data after the document")
        #expect(Self.failure("1 2") == "line 1, column 3: unexpected data after the document")
        #expect(Self.failure("[]]") == "line 1, column 3: unexpected data after the document")
        #expect(Self.failure("{\"a\": 1}\n\n{}") == "line 3, column 1: unexpected data after the document")
        #expect(Self.failure("{\"a\": 1}\n\t \r\n") == nil)
    }

    @Test func errorDescription() {
        let error = JSONParseError(line: 1, column: 100_001, message: "nesting deeper than 128 levels")
        #expect(error.description == "line 1, column 100001: nesting deeper than 128 levels")
        #expect("\(error)" == error.description)
    }

    @Test func prettyPrintedDocument() throws {
        // Deep indentation takes the eight-spaces-at-a-time path.
        let text = """
            {
                "product_tree": {
                                            "branches": [
                                                                        {"name": "a b"},
                    \t  {"name": "c"}
                                            ]
                }
            }
            """
        let branches = try #require(try Self.json(text)["product_tree"]?["branches"]?.array)
        #expect(branches.map { $0["name"]?.string } == ["a b", "c"])
    }
}
