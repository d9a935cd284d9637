import Articles
import Configuration
import FeedFetching
import FeedParsing
import Foundation
import StateStore
import Synchronization

/// The documents of a CSAF ROLIE feed (SPEC 2.6): each entry names a CSAF document. Those
/// new or changed since the last run (by the entry's `updated`), and those that failed
/// last time, are fetched — conditionally, at most `fetch.concurrency` at once across all
/// feeds, newest first and at most `fetch.max_documents` per run — checked against their
/// `.sha256` / `.sha512` file, and parsed; the others cost nothing. A document that
/// fails is reported with its reason and fetched again next run; the others go on.
///
/// A ROLIE feed is untrusted: the documents of one fetched over HTTP(S) are fetched over
/// HTTP(S) only, and never from a loopback or private address unless the feed itself came
/// from one (an operator's own mirror).
struct DocumentLoader: Sendable {
    let loader: FeedLoader

    /// One document's outcome: its articles (none for a 304), or why it failed.
    struct Outcome: Sendable {
        var state: DocumentState
        var articles: [Article] = []
        var warnings: [FeedWarning] = []
    }

    /// A document to fetch: its entry, and its URL resolved against the feed's.
    struct Due: Sendable {
        var entry: ROLIEEntry
        var url: String
        var hashURL: String?
    }

    /// The entries to fetch: new, changed (`updated` or URL), or failed last time; the
    /// first entry of an id counts. Newest first: a run fetches the first
    /// `fetch.max_documents`, and the rest are still due next run.
    static func due(_ entries: [ROLIEEntry], feedURL: String, known: [String: DocumentState]) -> [Due] {
        var seen: Set<String> = []
        var due: [Due] = []
        for entry in entries where seen.insert(entry.id).inserted {
            let url = resolve(entry.source, against: feedURL)
            if let state = known[entry.id], state.failuresInARow == 0, state.updated == entry.updated,
                state.url == shown(url)
            {
                continue
            }
            due.append(Due(entry: entry, url: url, hashURL: entry.hash.map { resolve($0, against: feedURL) }))
        }
        // RFC 3339 times in one zone sort as text; an entry without one comes last.
        due.sort { $0.entry.updated > $1.entry.updated }
        return due
    }

    /// `reference` resolved against the feed's URL or path (RFC 3986): a URL, or a path
    /// when the feed is a file.
    static func resolve(_ reference: String, against feedURL: String) -> String {
        if hasScheme(reference) { return reference }
        if let path = FeedLoader.localPath(feedURL) {
            let file = reference.split(separator: "?", maxSplits: 1).first.map(String.init) ?? reference
            if file.hasPrefix("/") { return file }
            let directory = (path as NSString).deletingLastPathComponent
            return ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(file)
        }
        guard let base = URL(string: feedURL), let resolved = URL(string: reference, relativeTo: base) else {
            return reference
        }
        return resolved.absoluteString
    }

    /// `scheme:` at the start (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
    static func hasScheme(_ reference: String) -> Bool {
        guard let colon = reference.firstIndex(of: ":"), let first = reference.first, first.isASCII, first.isLetter else {
            return false
        }
        return reference[..<colon].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    static func isHTTP(_ url: String) -> Bool {
        let lower = url.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// A URL as critfix shows and stores it: without a user name or password.
    static func shown(_ url: String) -> String {
        guard isHTTP(url), var components = URLComponents(string: url), components.user != nil || components.password != nil
        else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? url
    }

    /// Fetches and parses `due`, the feed's share of `fetch.concurrency` at once; outcomes
    /// in the order of `due`. `fromPrivateAddress`: the feed came from the operator's own
    /// network, so its documents may too.
    func load(_ due: [Due], feed: FeedConfiguration, known: [String: DocumentState], fromPrivateAddress: Bool) -> [Outcome] {
        guard !due.isEmpty else { return [] }
        let next = Atomic<Int>(0)
        let results = Locked<[Outcome?]>(Array(repeating: nil, count: due.count))
        let finished = DispatchSemaphore(value: 0)
        let workers = min(max(loader.fetch.concurrency, 1), due.count)
        let this = self
        for _ in 0..<workers {
            let thread = Thread {
                var fetcher: FeedFetcher?
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < due.count else { break }
                    // One slot of the run's document fetches, shared by every ROLIE feed.
                    this.loader.documentSlots.wait()
                    let outcome = this.load(
                        due[index], feed: feed, known: known[due[index].entry.id], fromPrivateAddress: fromPrivateAddress,
                        fetcher: &fetcher)
                    this.loader.documentSlots.signal()
                    results.withLock { $0[index] = outcome }
                }
                finished.signal()
            }
            // A document may be XML (not CSAF, then refused): libxml2 needs a main thread's stack.
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<workers { finished.wait() }
        return results.withLock { $0.map { $0! } }
    }

    private func load(
        _ due: Due, feed: FeedConfiguration, known: DocumentState?, fromPrivateAddress: Bool, fetcher: inout FeedFetcher?
    ) -> Outcome {
        let entry = due.entry
        let shownURL = Self.shown(due.url)
        var outcome = Outcome(state: DocumentState(id: entry.id, url: shownURL, updated: entry.updated))
        func fail(_ reason: String) -> Outcome {
            outcome.articles = []
            outcome.state.lastError = reason
            outcome.state.failuresInARow = (known?.failuresInARow ?? 0) + 1
            return outcome
        }
        let access = Access(feedIsLocal: FeedLoader.localPath(feed.url) != nil, fromPrivateAddress: fromPrivateAddress)
        var items: [FeedItem] = []
        let parser = FeedParser(limits: loader.limits) { items.append($0) }
        var digest: StreamingDigest?
        if let hashURL = due.hashURL {
            guard let made = StreamingDigest(StreamingDigest.Algorithm(hashFile: hashURL)) else {
                return fail("OpenSSL cannot compute the digest its hash file names")
            }
            digest = made
        }
        // Conditional only when the last fetch of this same URL succeeded.
        let previous = known.flatMap { $0.url == shownURL && $0.failuresInARow == 0 ? $0 : nil }
        let read = read(
            due.url, feed: feed, access: access, etag: previous?.etag, lastModified: previous?.lastModified,
            fetcher: &fetcher
        ) {
            parser.consume($0)
            digest?.update($0)
        }
        switch read {
        case .failure(let reason):
            _ = parser.finish()
            return fail(reason)
        case .notModified:
            // Unchanged: its validators stay those of the last fetch.
            _ = parser.finish()
            outcome.state.etag = previous?.etag
            outcome.state.lastModified = previous?.lastModified
            return outcome
        case .success(let etag, let lastModified):
            outcome.state.etag = etag
            outcome.state.lastModified = lastModified
        }
        let result = parser.finish()
        if let error = result.error { return fail(error.description) }
        guard result.format == .csaf else {
            return fail("not a CSAF document (read as \(result.format?.rawValue ?? "nothing"))")
        }
        if let hashURL = due.hashURL, let digest {
            switch expectedDigest(hashURL, feed: feed, access: access, fetcher: &fetcher) {
            case .failure(let error):
                return fail("hash file: \(error.reason)")
            case .success(let expected):
                let actual = digest.finish()
                guard expected == actual else {
                    return fail(
                        "\(digest.algorithm.name) mismatch: the document hashes to \(actual), \(Self.shown(hashURL)) says \(expected)")
                }
            }
        }
        let normalizer = ArticleNormalizer(feed: feed.name, defaults: feed.defaults, catalog: loader.catalog)
        var warnings = result.warnings
        outcome.articles = items.map { normalizer.article(from: $0, warnings: &warnings) }
        outcome.warnings = warnings.map { FeedWarning(line: nil, "document \(entry.id): \($0.description)") }
        return outcome
    }

    /// Where a document of this feed may come from.
    private struct Access {
        var feedIsLocal: Bool
        var fromPrivateAddress: Bool
    }

    private enum Read {
        case success(etag: String?, lastModified: String?)
        case notModified
        case failure(String)
    }

    /// Streams a document (URL or path) into `consume`.
    private func read(
        _ url: String, feed: FeedConfiguration, access: Access, etag: String?, lastModified: String?,
        fetcher: inout FeedFetcher?, consume: (UnsafeRawBufferPointer) -> Void
    ) -> Read {
        // A feed served over HTTP(S) never makes critfix read a local file.
        if !access.feedIsLocal, !Self.isHTTP(url) {
            return .failure("refused: a document of a feed fetched over HTTP(S) must be an http(s) URL, not \(Self.shown(url))")
        }
        if let path = FeedLoader.localPath(url) { return readFile(path, etag: etag, consume: consume) }
        if fetcher == nil {
            do {
                fetcher = try FeedFetcher(userAgent: loader.userAgent)
            } catch {
                return .failure(error.reason)
            }
        }
        let request = FetchRequest(
            url: url, timeout: feed.timeout, caFile: feed.caFile, maxBytes: loader.fetch.maxSize, etag: etag,
            lastModified: lastModified, refusePrivateAddresses: !access.feedIsLocal && !access.fromPrivateAddress)
        switch fetcher!.fetch(request, consume: { consume($0); return true }) {
        case .success(let response):
            return response.notModified ? .notModified : .success(etag: response.etag, lastModified: response.lastModified)
        case .failure(let failure):
            return .failure(failure.reason)
        }
    }

    /// A local document: a regular file no larger than `fetch.max_size`, its validator the
    /// file's own (as for feed files).
    private func readFile(_ path: String, etag: String?, consume: (UnsafeRawBufferPointer) -> Void) -> Read {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure("cannot read \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure("\(path) is not a regular file") }
        guard Int(info.st_size) <= loader.fetch.maxSize else {
            return .failure("\(path) is larger than \(loader.fetch.maxSize) bytes (fetch.max_size)")
        }
        let validator = FeedLoader.fileValidator(path)
        if let validator, validator == etag { return .notModified }
        guard let data = FileManager.default.contents(atPath: path), data.count <= loader.fetch.maxSize else {
            return .failure("cannot read \(path)")
        }
        data.withUnsafeBytes { consume($0) }
        return .success(etag: validator, lastModified: nil)
    }

    /// The hex digest a hash file gives: its first word (`sha256sum` writes "HEX  NAME").
    private func expectedDigest(_ url: String, feed: FeedConfiguration, access: Access, fetcher: inout FeedFetcher?)
        -> Result<String, HashFileError>
    {
        var bytes: [UInt8] = []
        switch read(url, feed: feed, access: access, etag: nil, lastModified: nil, fetcher: &fetcher, consume: { chunk in
            if bytes.count < 4096 { bytes.append(contentsOf: chunk.prefix(4096 - bytes.count)) }
        }) {
        case .failure(let reason): return .failure(HashFileError(reason))
        case .notModified: return .failure(HashFileError("unexpected 304"))
        case .success: break
        }
        let word = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        guard !word.isEmpty, word.count <= 128, word.allSatisfy(\.isHexDigit) else {
            return .failure(HashFileError("it holds no hexadecimal digest"))
        }
        return .success(word.lowercased())
    }

    private struct HashFileError: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
