import TestSupport
import Testing

@testable import Articles

@Suite struct VersionTests {
    @Test func numericComponentsCompareNumerically() throws {
        #expect(try #require(Version("10.10")) > #require(Version("10.9")))
        #expect(try #require(Version("10.7.2")) > #require(Version("10.7.1")))
        #expect(try #require(Version("2023.11")) < #require(Version("2024.04")))
        #expect(try #require(Version("13.4.0.1")) > #require(Version("13.4")))
    }

    @Test func missingComponentIsZero() throws {
        #expect(Version("10.7") == Version("10.7.0"))
        #expect(Version("10.7.0.0") == Version("10.7"))
        #expect(Set([Version("10.7")!, Version("10.7.0")!]).count == 1)
    }

    @Test func suffixSortsBeforeThePlainVersion() throws {
        let rc1 = try #require(Version("10.7.2-rc1"))
        let rc2 = try #require(Version("10.7.2-rc2"))
        let rc10 = try #require(Version("10.7.2-rc10"))
        let plain = try #require(Version("10.7.2"))
        #expect(rc1 < plain)
        #expect(rc1 > Version("10.7.1")!)
        #expect(rc1 < rc2)
        #expect(rc2 < rc10)
        #expect(rc1.text == "10.7.2-rc1")
    }

    /// `<` is a strict weak order and `==` / `hash` agree with it, across every shape: the
    /// sort of a set of versions cannot depend on where it starts. Random triples from
    /// pieces vendors use, checked for irreflexivity, transitivity of `<` and of `==`, and
    /// equal hashes for equal versions.
    @Test func theOrderIsTotalAcrossShapes() throws {
        let pieces = ["1", "0", "01", "2", "10", "4", ".", "-", "-rc", "~beta", "a", "(", ")", "M", "SE", ":", "_", "v", "el", "+"]
        var random = SplitMix(seed: 20261207)
        func make() -> Version {
            while true {
                let count = Int.random(in: 1...6, using: &random)
                let text = (0..<count).map { _ in pieces.randomElement(using: &random)! }.joined()
                if let version = Version(text) { return version }
            }
        }
        let versions = (0..<300).map { _ in make() } + ["1:4.3.1-rc1", "1:4.3.1", "1:4.3.1-2.el7", "v1-rc1", "v1", "v1-2",
            "10.7", "10.7.0", "10.7.x", "10.7.0-rc1", "10.7-rc1", "10..7", "00000000000000000000001", "1"].map { Version($0)! }
        for a in versions {
            #expect(!(a < a), "\(a) < itself")
            for b in versions {
                if a == b { #expect(a.hashValue == b.hashValue, "\(a) == \(b) but hashes differ") }
                #expect((a < b) != (b < a) || a == b, "\(a) and \(b): neither less nor equal")
            }
        }
        for _ in 0..<20000 {
            let a = versions.randomElement(using: &random)!
            let b = versions.randomElement(using: &random)!
            let c = versions.randomElement(using: &random)!
            if a < b, b < c { #expect(a < c, "\(a) < \(b) < \(c) but not \(a) < \(c)") }
            if a == b, b == c { #expect(a == c) }
        }
        #expect(Version("10.7") == Version("10.7.0"))
        #expect(Version("10.7.0-rc1") == Version("10.7-rc1"))
        #expect(Version("1.0-1") != Version("1.0+1"))
        #expect(Version("00000000000000000000001") == Version("1"))
    }

    @Test func keepsTheTextAsWritten() {
        #expect(Version("10.10")?.text == "10.10")
        #expect(Version(" 10.7 ")?.text == "10.7")
    }

    @Test(arguments: ["", "  ", "10,7", "1 2", "10\u{00A0}7", "a<b", ">1", "x|y", "*", "!1", "1=2"])
    func rejectsWhatIsNotAVersion(_ text: String) {
        #expect(Version(text) == nil)
    }

    /// SPEC 2.4: versions as vendors write them are versions; each equals itself.
    @Test(arguments: ["15.0(1)M10", "12.2(58)SE", "3.2.0S", "1:4.3.1-2.el7", "7.0(3)I7(3)", "v2", "x", "10..2", "-1"])
    func vendorShapesAreVersions(_ text: String) throws {
        let version = try #require(Version(text))
        #expect(version.text == text)
        #expect(version == Version(text))
        #expect(!(version < version))
        #expect(Set([version, Version(text)!]).count == 1)
    }

    @Test func vendorShapesOrderByTheirNumbers() throws {
        func v(_ text: String) throws -> Version { try #require(Version(text)) }
        #expect(try v("15.0(1)M9") < v("15.0(1)M10"))
        #expect(try v("15.0(1)M10") < v("15.0(2)M"))
        #expect(try v("12.2(55)SE") < v("12.2(58)SE"))
        #expect(try v("15.7(3)M") < v("15.7(3)M2"))
        #expect(try v("16.3.1a") > v("16.3.1"))  // Cisco's rebuild: not a pre-release
        #expect(try v("12.2(58)SE") > v("12.2"))  // a service pack of the 12.2 train
        #expect(try v("10.7.2-rc1") < v("10.7.2"))  // a pre-release (SPEC 2.4)
        #expect(try v("10.7.2-alpha") < v("10.7.2-rc1") && v("10.7.2~beta") < v("10.7.2"))
        #expect(try v("1:4.3.1-rc1") < v("1:4.3.1") && v("1:4.3.1") < v("1:4.3.1-2.el7"))
        #expect(try v("3.2.0S") < v("3.2.1S"))
        #expect(try v("1:4.3.1-2.el7") < v("1:4.3.1-10.el7"))
        #expect(try v("polkit-0:0.115-11.el8_2.1") < v("polkit-0:0.115-12.el8"))
        #expect(try v("10.7") == v("10.7.0"))
        #expect(try v("15.0(1)M10") != v("15.0(1)M9"))
        // A total order over a mixed list: sorting agrees with itself.
        let mixed = try ["15.0(1)M10", "12.2(58)SE", "10.10", "v2", "15.0(1)M9", "10.7.2"].map(v)
        #expect(mixed.sorted().map(\.text) == ["v2", "10.7.2", "10.10", "12.2(58)SE", "15.0(1)M9", "15.0(1)M10"])
    }
}

@Suite struct VersionRangeTests {
    func range(_ text: String) throws -> VersionRange { try VersionRange(parsing: text) }
    func v(_ text: String) -> Version { Version(text)! }

    @Test func commaAndWhitespaceMeanAnd() throws {
        for text in [">=10.5, <10.7.2", ">=10.5 <10.7.2", ">= 10.5 , < 10.7.2"] {
            let r = try range(text)
            #expect(r.contains(v("10.5")))
            #expect(r.contains(v("10.7.1")))
            #expect(!r.contains(v("10.7.2")))
            #expect(!r.contains(v("10.4.9")))
            #expect(r.text == text.trimmingWhitespace())
        }
    }

    @Test func doublePipeMeansOr() throws {
        let r = try range("<10.7.2 || =10.10")
        #expect(r.contains(v("10.7")))
        #expect(r.contains(v("10.10")))
        #expect(!r.contains(v("10.9")))
    }

    @Test func everyComparator() throws {
        #expect(try range("=10.7").contains(v("10.7.0")))
        #expect(try range("10.7").contains(v("10.7")))
        #expect(!(try range("10.7").contains(v("10.7.1"))))
        #expect(try range("!=10.7").contains(v("10.8")))
        #expect(!(try range("!=10.7").contains(v("10.7"))))
        #expect(try range("<=10.7").contains(v("10.7")))
        #expect(try range(">10.7").contains(v("10.7.1")))
        #expect(!(try range(">10.7").contains(v("10.7"))))
        #expect(try range(">=10.5, !=10.6").contains(v("10.7")))
        #expect(!(try range(">=10.5, !=10.6").contains(v("10.6.0"))))
    }

    @Test func starAndEmptyMeanEveryVersion() throws {
        #expect(try range("*").isEvery)
        #expect(try range("").isEvery)
        #expect(try range("  ").contains(v("1.0")))
    }

    @Test func versFormIsOneInterval() throws {
        let r = try range("vers:generic/>=10.5|<10.7.2")
        #expect(r.contains(v("10.5")))
        #expect(r.contains(v("10.7.1")))
        #expect(!r.contains(v("10.7.2")))
        #expect(!r.contains(v("10.4")))
        // Not an OR: 11.0 satisfies ">=10.5" alone but lies outside the interval.
        #expect(!r.contains(v("11.0")))
    }

    @Test func versFormSortsConstraintsAndHandlesExceptions() throws {
        let r = try range("vers:generic/<10.7.2|>=10.5|!=10.6")
        #expect(r.contains(v("10.5.1")))
        #expect(!r.contains(v("10.6")))
        let two = try range("vers:generic/>=1.0|<2.0|>=3.0")
        #expect(two.contains(v("1.5")))
        #expect(!two.contains(v("2.5")))
        #expect(two.contains(v("4.0")))
        #expect(try range("vers:generic/=1.2|=1.4").contains(v("1.4")))
        #expect(!(try range("vers:generic/=1.2|=1.4").contains(v("1.3"))))
        #expect(try range("vers:generic/*").isEvery)
    }

    @Test(arguments: [">=", "=>10.5", ">=10|x", "10.5 ||", "|| 10.5", "<<10", "vers:", "vers:generic/", "vers:generic/>=1|"])
    func rejectsInvalidRanges(_ text: String) {
        #expect(throws: VersionRangeError.self) { try VersionRange(parsing: text) }
    }

    @Test func errorsSayWhatIsWrong() {
        do {
            _ = try VersionRange(parsing: ">=10|x")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("'10|x' is not a version"))
        }
    }
}

/// The ASCII fast path of `VersionRange(parsing:)` against the general parser: the same
/// text, form, versions and errors on every input.
@Suite struct VersionRangeFastPathTests {
    func expectSame(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = Result { () throws(VersionRangeError) in try VersionRange(parsing: text) }
        let general = Result { () throws(VersionRangeError) in try VersionRange(parsingGeneral: text) }
        switch (fast, general) {
        case (.success(let a), .success(let b)):
            #expect(a == b, "\(text)", sourceLocation: sourceLocation)
            #expect(a.text == b.text, "\(text)", sourceLocation: sourceLocation)
            #expect(versions(a) == versions(b), "\(text)", sourceLocation: sourceLocation)
        case (.failure(let a), .failure(let b)):
            #expect(a.message == b.message, "\(text)", sourceLocation: sourceLocation)
        default:
            Issue.record("'\(text)': fast \(fast), general \(general)", sourceLocation: sourceLocation)
        }
    }

    /// Every version's text and suffix, which `==` on versions leaves out.
    func versions(_ range: VersionRange) -> [String] {
        let constraints: [VersionRange.Constraint]
        switch range.form {
        case .every: constraints = []
        case .alternatives(let all): constraints = all.flatMap { $0 }
        case .vers(let all): constraints = all
        }
        return constraints.map { "\($0.comparator.rawValue)\($0.version.text)|\($0.version.suffix ?? "-")" }
    }

    @Test func writtenRanges() {
        for text in [
            "", " ", "*", " * ", "=10.7", "10.7", ">=10.5, <10.7.2", ">=10.5 <10.7.2", ">= 10.5 , < 10.7.2",
            "<10.7.2 || =10.10", "* || >=1", ">=1 || *", ">=1 ||", "|| 1", "a||b", "1|||2", "1||||2", "1|2",
            ">=10.5, !=10.6", "==1.0", "=>1", "<<1", "!1", "!==1", ">=", ">= ,", "1.0<2", "10.7.2-rc1", "10.7.2rc1",
            "10.7.2-", "10.7.2--", "10..2", ".5", "10.", "1234567890123456789", "123456789012345678", "10.0.0",
            "0", "0.0", "vers:generic/>=10.5|<10.7.2", "VERS:generic/>=1|<2", "vers:", "vers:/1", "vers:generic/",
            "vers:generic/*", "vers:generic/ * ", "vers:generic/>=1|", "vers:generic/>=1 <2", "vers:generic/<2|>=1|!=1.5",
            "vers:generic/>=1||<2", "vers:generic", " \t>=1,\n<2\r\n", "\u{0B}1\u{0C}", ">=1,,,<2", ",>=1,",
            "1.2.3_beta", "1~x", "1+", "1-a,b", "ÿ1", ">=1, <2\u{A0}", "\u{A0}1",
        ] {
            expectSame(text)
        }
    }

    @Test func randomRanges() {
        // A fixed linear congruential sequence: the same inputs on every run.
        var state: UInt64 = 0x5EED
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let pieces = ["<", ">", "=", "!", "|", "||", ",", " ", "\t", ".", "*", "1", "0", "10", "7", "-rc", "a", "~",
            "vers:", "generic/", "VeRs:", "/", "99999999999999999999"]
        for _ in 0..<20_000 {
            var text = ""
            for _ in 0..<next(9) { text += pieces[next(pieces.count)] }
            expectSame(text)
        }
    }
}
