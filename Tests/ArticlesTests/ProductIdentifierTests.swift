import Testing

@testable import Articles

/// SPEC 3: catalog `cpe` entries in CPE 2.2 or 2.3 form match a document's CPE in either
/// form; `purl` entries match by type, namespace and name, or as a prefix.
@Suite struct ProductIdentifierTests {
    func cpe(_ text: String) throws -> CPE { try #require(CPE(text)) }

    @Test func eitherFormMatchesTheOther() throws {
        let entries = ["cpe:/o:redhat:enterprise_linux:8", "cpe:2.3:o:redhat:enterprise_linux:8:*:*:*:*:*:*:*",
                       "cpe:2.3:o:redhat:enterprise_linux:8"]
        let documents = ["cpe:/o:redhat:enterprise_linux:8::baseos", "cpe:2.3:o:redhat:enterprise_linux:8:*:baseos:*:*:*:*:*",
                         "CPE:/O:RedHat:Enterprise_Linux:8"]
        for entry in entries {
            for document in documents {
                #expect(try cpe(entry).covers(cpe(document)), "\(entry) covers \(document)")
            }
        }
    }

    @Test func everyGivenComponentMustBeEqual() throws {
        let entry = try cpe("cpe:/o:redhat:enterprise_linux:8")
        #expect(try !entry.covers(cpe("cpe:/a:redhat:enterprise_linux:8::appstream")))  // part
        #expect(try !entry.covers(cpe("cpe:/o:redhat:enterprise_linux:9")))  // version
        #expect(try !entry.covers(cpe("cpe:/o:redhat:rhel_eus:8.2::baseos")))  // product
        #expect(try !entry.covers(cpe("cpe:/o:redhat:enterprise_linux")))  // the document gives no version
        // ANY (`*`, empty) and NA (`-`) in the entry match anything.
        #expect(try cpe("cpe:2.3:*:redhat:enterprise_linux:*").covers(cpe("cpe:/a:redhat:enterprise_linux:8::appstream")))
        #expect(try cpe("cpe:/:redhat").covers(cpe("cpe:/o:redhat:enterprise_linux:8")))
        #expect(try cpe("cpe:2.3:a:redhat:openshift:-").covers(cpe("cpe:/a:redhat:openshift:4.6::el8")))
    }

    @Test func escapesAndPackedEditions() throws {
        #expect(try cpe("cpe:2.3:a:example:erp\\:ln:10.7").attributes[2] == "erp:ln")
        #expect(try cpe("cpe:/a:example:erp%3aln:10.7").attributes[2] == "erp:ln")
        let packed = try cpe("cpe:/a:example:erp:10.7:sp1:~pro~de~linux~x64~")
        #expect(packed.attributes[5] == "pro" && packed.attributes[7] == "de" && packed.attributes[8] == "linux")
    }

    @Test(arguments: ["", "cpe", "redhat:enterprise_linux", "cpe:/x:redhat:rhel", "cpe:2.3:a:b:c:d:e:f:g:h:i:j:k:l",
                      "cpe:/o:red hat:rhel"])
    func rejectsWhatIsNotACPE(_ text: String) {
        #expect(CPE(text) == nil)
        #expect(CPE.problem(text)?.contains("is not a CPE name") == true)
    }

    @Test func packageURLs() throws {
        let exact = try #require(PackageURLPattern("pkg:rpm/redhat/openssl"))
        #expect(exact.matches("pkg:rpm/redhat/openssl@1.1.1k-7.el8_6?arch=x86_64&distro=rhel-8"))
        #expect(exact.matches("pkg:RPM/RedHat/OpenSSL@3"))
        #expect(!exact.matches("pkg:rpm/redhat/openssl-libs@1.1.1k"))
        #expect(!exact.matches("pkg:rpm/fedora/openssl@3"))
        let prefix = try #require(PackageURLPattern("pkg:rpm/redhat/"))
        #expect(prefix.matches("pkg:rpm/redhat/kernel@4.18.0"))
        #expect(!prefix.matches("pkg:deb/debian/openssl@3"))
        for invalid in ["", "rpm/redhat/openssl", "pkg:rpm", "pkg:rpm/redhat openssl", "pkg:/"] {
            #expect(PackageURLPattern(invalid) == nil, "\(invalid)")
        }
    }

    /// A product resolves by id, name or alias first, then by CPE, then by package URL,
    /// and says which rule did it.
    @Test func resolutionOrder() throws {
        let catalog = Catalog([
            CatalogProduct(id: "rhel-8", name: "Red Hat Enterprise Linux 8", cpes: [try cpe("cpe:/o:redhat:enterprise_linux:8")]),
            CatalogProduct(
                id: "openssl", name: "OpenSSL", cpes: [try cpe("cpe:/o:redhat:enterprise_linux:8")],
                purls: [try #require(PackageURLPattern("pkg:rpm/redhat/openssl"))]),
        ])
        let byName = try #require(catalog.resolve(name: "openssl", cpes: ["cpe:/o:redhat:enterprise_linux:8"], purls: []))
        #expect(byName.product.id == "openssl")
        #expect(byName.rule == "by name 'openssl'")
        let byCPE = try #require(
            catalog.resolve(
                name: "Red Hat Enterprise Linux BaseOS (v. 8)", cpes: ["cpe:/o:redhat:enterprise_linux:8::baseos"],
                purls: ["pkg:rpm/redhat/openssl@1"]))
        #expect(byCPE.product.id == "rhel-8")  // CPE before purl; the first catalog product
        #expect(byCPE.rule == "by CPE cpe:/o:redhat:enterprise_linux:8::baseos (catalog entry cpe:/o:redhat:enterprise_linux:8)")
        let byPURL = try #require(catalog.resolve(name: "openssl-libs", cpes: [], purls: ["pkg:rpm/redhat/openssl@1.1.1k"]))
        #expect(byPURL.product.id == "openssl")
        #expect(byPURL.rule.hasPrefix("by package URL pkg:rpm/redhat/openssl@1.1.1k"))
        #expect(catalog.resolve(name: "nothing", cpes: ["cpe:/o:debian:debian_linux:12"], purls: ["pkg:deb/debian/x"]) == nil)
    }

    /// Two platforms of one advisory that resolve to one catalog product become one
    /// product: affected where either is, fixed in the versions of both.
    @Test func platformsOfOneProductAreMerged() throws {
        let catalog = Catalog([
            CatalogProduct(id: "rhel-8", name: "RHEL 8", cpes: [try cpe("cpe:2.3:*:redhat:enterprise_linux:8")])
        ])
        let item = FeedItem(
            line: 1, id: "RHSA-1", severity: 2, kind: .patch,
            products: [
                ProductReference(name: "RHEL BaseOS (v. 8)", affected: "<8.6", fixed: "8.6", cpes: ["cpe:/o:redhat:enterprise_linux:8::baseos"]),
                ProductReference(name: "RHEL AppStream (v. 8)", affected: "=8.8", fixed: "8.9", cpes: ["cpe:/a:redhat:enterprise_linux:8::appstream"]),
            ])
        var warnings: [FeedWarning] = []
        let article = ArticleNormalizer(feed: "rh", catalog: catalog).article(from: item, warnings: &warnings)
        #expect(warnings.isEmpty)
        #expect(article.products.count == 1)
        let product = try #require(article.products.first)
        #expect(product.affected == "<8.6 || =8.8")
        #expect(product.fixed == "8.6, 8.9")
        #expect(product.range.contains(Version("8.5")!) && product.range.contains(Version("8.8")!))
        #expect(!product.range.contains(Version("8.7")!))
    }
}

/// SPEC 2.4: the advice follows the installed version.
@Suite struct FixAdviceTests {
    @Test func theLowestFixedVersionAboveTheInstalledOne() {
        let fixed = "10.7.2, 10.10.1, 11.0"
        #expect(FixAdvice.advice(fixed: fixed, installed: Version("10.7.1")) == .upgrade(to: "10.7.2"))
        #expect(FixAdvice.advice(fixed: fixed, installed: Version("10.10")) == .upgrade(to: "10.10.1"))
        #expect(FixAdvice.advice(fixed: fixed, installed: Version("10.8")) == .upgrade(to: "10.10.1"))
        #expect(FixAdvice.advice(fixed: fixed, installed: Version("11.0")) == .noFixForRelease(fixed: ["10.7.2", "10.10.1", "11.0"]))
        #expect(FixAdvice.advice(fixed: "10.7.2", installed: Version("10.10")) == .noFixForRelease(fixed: ["10.7.2"]))
        #expect(FixAdvice.advice(fixed: "15.7(3)M2, 15.9(3)M1", installed: Version("15.7(3)M")) == .upgrade(to: "15.7(3)M2"))
        #expect(FixAdvice.advice(fixed: fixed, installed: nil) == .oneOf(["10.7.2", "10.10.1", "11.0"]))
        #expect(FixAdvice.advice(fixed: "10.7.2", installed: nil) == .upgrade(to: "10.7.2"))
        #expect(FixAdvice.advice(fixed: nil, installed: Version("1")) == .noneAnnounced)
        #expect(FixAdvice.advice(fixed: " , ", installed: Version("1")) == .noneAnnounced)
    }

    @Test func sentences() {
        #expect(FixAdvice.upgrade(to: "10.10.1").sentence(product: "erp-ln", installed: "10.10")
            == "upgrade erp-ln from version 10.10 to version 10.10.1 or later")
        #expect(FixAdvice.noFixForRelease(fixed: ["10.7.2"]).sentence(product: "erp-ln", installed: "10.10")
            == "no fix for erp-ln 10.10 has been announced yet (fixed versions so far: 10.7.2)")
    }

    @Test func versNativeText() {
        #expect(VersionRange.nativeText("vers:generic/>=10.5|<10.7.2") == ">=10.5, <10.7.2")
        #expect(VersionRange.nativeText("vers:generic/<1.0|>=2.0|<2.5|=3.1|>=4") == "=3.1 || <1.0 || >=2.0, <2.5 || >=4")
        #expect(VersionRange.nativeText("vers:generic/!=2.5") == "!=2.5")
        #expect(VersionRange.nativeText("vers:all/*") == "*")
        #expect(VersionRange.nativeText(">=1, <2") == ">=1, <2")
    }
}
