import FeedParsing
import Foundation
import StateStore
import Testing

@testable import Pipeline

/// The pure parts of a ROLIE feed's reading (SPEC 2.6): which documents are due, how their
/// references resolve, how their URLs are shown.
@Suite struct DocumentLoaderTests {
    func entry(_ id: String, updated: String, source: String? = nil, hash: String? = nil) -> ROLIEEntry {
        ROLIEEntry(id: id, updated: updated, source: source ?? "\(id).json", hash: hash)
    }

    @Test func dueAreNewChangedOrFailedNewestFirst() {
        let feed = "https://csaf.example.com/white/feed.json"
        let known = [
            "same": DocumentState(id: "same", url: "https://csaf.example.com/white/same.json", updated: "2024-01-01T00:00:00Z"),
            "changed": DocumentState(id: "changed", url: "https://csaf.example.com/white/changed.json", updated: "2024-01-01T00:00:00Z"),
            "failed": DocumentState(
                id: "failed", url: "https://csaf.example.com/white/failed.json", updated: "2024-01-01T00:00:00Z",
                failuresInARow: 2, lastError: "HTTP 503"),
            "moved": DocumentState(id: "moved", url: "https://csaf.example.com/old/moved.json", updated: "2024-01-01T00:00:00Z"),
        ]
        let entries = [
            entry("same", updated: "2024-01-01T00:00:00Z"), entry("changed", updated: "2024-03-01T00:00:00Z"),
            entry("failed", updated: "2024-01-01T00:00:00Z"), entry("moved", updated: "2024-01-01T00:00:00Z"),
            entry("new", updated: "2024-02-01T00:00:00Z"), entry("new", updated: "2025-01-01T00:00:00Z", source: "twice.json"),
            entry("undated", updated: ""),
        ]
        let due = DocumentLoader.due(entries, feedURL: feed, known: known)
        // The first entry of an id counts; newest first, an undated one last.
        #expect(due.map(\.entry.id) == ["changed", "new", "failed", "moved", "undated"])
        #expect(due.first { $0.entry.id == "new" }?.url == "https://csaf.example.com/white/new.json")
    }

    @Test(arguments: [
        ("2024/x.json", "https://csaf.example.com/white/feed.json", "https://csaf.example.com/white/2024/x.json"),
        ("/other/x.json", "https://csaf.example.com/white/feed.json", "https://csaf.example.com/other/x.json"),
        ("../x.json", "https://csaf.example.com/white/feed.json", "https://csaf.example.com/x.json"),
        ("https://mirror.example.com/x.json", "https://csaf.example.com/feed.json", "https://mirror.example.com/x.json"),
        ("x.json?next=http://evil.example/", "https://csaf.example.com/white/feed.json",
         "https://csaf.example.com/white/x.json?next=http://evil.example/"),
        ("x.json", "/srv/csaf/feed.json", "/srv/csaf/x.json"),
        ("sub/x.json", "feeds/feed.json", "feeds/sub/x.json"),
        ("/abs/x.json", "/srv/csaf/feed.json", "/abs/x.json"),
        ("file:///etc/passwd", "https://csaf.example.com/feed.json", "file:///etc/passwd"),
    ])
    func referencesResolveAgainstTheFeed(_ reference: String, _ feed: String, _ expected: String) {
        #expect(DocumentLoader.resolve(reference, against: feed) == expected)
    }

    @Test func schemesAndShownURLs() {
        #expect(DocumentLoader.hasScheme("https://x"))
        #expect(DocumentLoader.hasScheme("file:/etc/passwd"))
        #expect(DocumentLoader.hasScheme("FILE:///x"))
        #expect(!DocumentLoader.hasScheme("x.json?next=http://y"))
        #expect(!DocumentLoader.hasScheme("2024/x.json"))
        #expect(!DocumentLoader.hasScheme(":x"))
        #expect(DocumentLoader.shown("https://user:secret@csaf.example.com/x.json") == "https://csaf.example.com/x.json")
        #expect(DocumentLoader.shown("https://csaf.example.com/x.json") == "https://csaf.example.com/x.json")
        #expect(DocumentLoader.shown("/srv/x.json") == "/srv/x.json")
    }
}

/// A value made on one thread and taken on another.
@Suite struct HandoffTests {
    @Test func aValueMadeOnAnotherThreadArrivesWhole() {
        let handoffs = (0..<64).map { _ in Handoff<[Int]>() }
        for (index, handoff) in handoffs.enumerated() {
            DispatchQueue.global().async { handoff.finish(Array(0...index)) }
        }
        for (index, handoff) in handoffs.enumerated() {
            #expect(handoff.wait() == Array(0...index))
        }
    }
}
