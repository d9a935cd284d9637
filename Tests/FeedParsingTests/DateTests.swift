import Articles
import FeedParsing
import FeedParsingDetail
import Foundation
import Testing

@Suite struct DateTests {
    /// (input, expected UTC or nil). RFC 822/1123, RFC 3339 and the broken variants feeds use
    /// (many from feedparser's date tests).
    static let cases: [(String, String?)] = [
        // RFC 822 / 1123
        ("Tue, 24 Nov 2026 09:30:00 +0000", "2026-11-24T09:30:00Z"),
        ("24 Nov 2026 09:30:00 +0000", "2026-11-24T09:30:00Z"),
        ("Tue, 24 Nov 26 09:30:00 GMT", "2026-11-24T09:30:00Z"),
        ("Thu, 01 Jan 04 19:48:21 GMT", "2004-01-01T19:48:21Z"),
        ("Sat, 01 Jan 1972 00:00:00 GMT", "1972-01-01T00:00:00Z"),
        ("Tue, 24 Nov 2026 09:30 +0100", "2026-11-24T08:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 +01:00", "2026-11-24T08:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 UT", "2026-11-24T09:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 UTC", "2026-11-24T09:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 Z", "2026-11-24T09:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 EST", "2026-11-24T14:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 EDT", "2026-11-24T13:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 CST", "2026-11-24T15:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 CDT", "2026-11-24T14:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 MST", "2026-11-24T16:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 MDT", "2026-11-24T15:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 PST", "2026-11-24T17:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 PDT", "2026-11-24T16:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 A", "2026-11-24T10:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 N", "2026-11-24T08:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 Y", "2026-11-23T21:30:00Z"),
        ("tue, 24 nov 2026 09:30:00 gmt", "2026-11-24T09:30:00Z"),
        ("Tuesday, 24 November 2026 09:30:00 GMT", "2026-11-24T09:30:00Z"),
        ("Tue, 24 Nov 2026 09:30:00 +0000 (UTC)", "2026-11-24T09:30:00Z"),
        ("24-Nov-2026 09:30:00 +0000", "2026-11-24T09:30:00Z"),
        ("Thu, 01 Jan 0100 00:00:01 +0100", "0099-12-31T23:00:01Z"),
        ("Thu,  5 Apr 2012 10:00:00 GMT", "2012-04-05T10:00:00Z"),
        ("Wed, 19 Aug 2009 18:28:00 Etc/GMT", "2009-08-19T18:28:00Z"),
        ("Wed, 19 Feb 2012 22:40:00 GMT-01:01", "2012-02-19T23:41:00Z"),
        ("Wed, 19 Feb 2012 22:40:00 -01:01", "2012-02-19T23:41:00Z"),
        ("Mon, 13 Feb, 2012 06:28:00 UTC", "2012-02-13T06:28:00Z"),
        ("Thu, 01 Jan 2004", "2004-01-01T00:00:00Z"),
        ("Mon, 26 January 2004 16:31:00 ET", "2004-01-26T21:31:00Z"),
        ("Mon, 26 January 2004 16:31:00 AT", "2004-01-26T20:31:00Z"),
        ("Mon, 26 January 2004 16:31:00 PT", "2004-01-27T00:31:00Z"),
        ("Thu, 30 Apr 2015 08:57:00 MET", "2015-04-30T07:57:00Z"),
        ("Thu, 30 Apr 2015 08:57:00 MEST", "2015-04-30T06:57:00Z"),
        ("Thu Aug 30 2012 17:26:16 +0200", "2012-08-30T15:26:16Z"),
        ("Fri,24 Nov 2023 18:28:36 -0000", "2023-11-24T18:28:36Z"),
        ("Sun Jan  4 16:29:06 2004", "2004-01-04T16:29:06Z"),
        ("Sun Jul 15 01:16:00 +0000 2012", "2012-07-15T01:16:00Z"),
        // RFC 3339 / W3C-DTF / ISO 8601
        ("2026-11-24T09:30:00Z", "2026-11-24T09:30:00Z"),
        ("2026-11-24t09:30:00z", "2026-11-24T09:30:00Z"),
        ("2026-11-24 09:30:00Z", "2026-11-24T09:30:00Z"),
        ("2026-11-24T09:30:00.123456+01:00", "2026-11-24T08:30:00Z"),
        ("2007-04-23T23:25:47.538+10:00", "2007-04-23T13:25:47Z"),
        ("2003-12-31T10:14:55-08:00", "2003-12-31T18:14:55Z"),
        ("2026-11-24T09:30Z", "2026-11-24T09:30:00Z"),
        ("2026-11-24T09:30:00+0100", "2026-11-24T08:30:00Z"),
        ("2026-11-24", "2026-11-24T00:00:00Z"),
        ("2003-12", "2003-12-01T00:00:00Z"),
        ("2003", "2003-01-01T00:00:00Z"),
        ("20261124T093000Z", "2026-11-24T09:30:00Z"),
        ("20261124", "2026-11-24T00:00:00Z"),
        ("2003-012-31T10:14:55+00:00", "2003-12-31T10:14:55Z"),
        ("2004-02-28T18:14:55-08:00", "2004-02-29T02:14:55Z"),
        ("2000-02-28T18:14:55-08:00", "2000-02-29T02:14:55Z"),
        ("2004-07-08 23:56:58 -00:20", "2004-07-09T00:16:58Z"),
        ("2004-07-08 23:56:58", "2004-07-08T23:56:58Z"),
        ("2004-07-08 23:56:58.0", "2004-07-08T23:56:58Z"),
        ("  2026-11-24T09:30:00Z\n", "2026-11-24T09:30:00Z"),
        // Rejected
        ("", nil),
        ("yesterday", nil),
        ("Tusday, 32 Nov", nil),
        ("Sun, 16 Dec 2012 1:2:3:4 GMT", nil),
        ("Sun, 16 zzz 2012 11:47:32 GMT", nil),
        ("Sun, Dec x 2012 11:47:32 GMT", nil),
        ("Sun, 16 Dec zz 11:47:32 GMT", nil),
        ("Sun, 16 Dec 2012 11:47:32 +zz:00", nil),
        ("Sun, 16 Dec 2012 11:47:32 +00:zz", nil),
        ("Sun, 99 Jun 2009 12:00:00 GMT", nil),
        ("Tue, 31 Feb 2026 09:30:00 GMT", nil),
        ("9999-12-31T23:59:59-99:99", nil),
        ("2003-12-31T25:14:55Z", nil),
        ("2003-12-31T10:61:55Z", nil),
        ("2003-12-31T10:14:61Z", nil),
        ("2003-02-29", nil),
        ("22013", nil),
        ("013", nil),
        ("2013-01-27-01", nil),
        ("2013-01-28T11:30:00-06:00Textra", nil),
        ("2013-xx-27", nil),
        ("2013-01-28T09:xx:00Z", nil),
        ("2013-01-28T09:00:00+00:xx", nil),
        ("Tue, 24 Nov 2026 09:30:00 XYZ", nil),
    ]

    @Test(arguments: cases) func parses(input: String, expected: String?) {
        #expect(iso(FeedDate.parse(input)) == expected, "\(input)")
    }

    @Test func unparseableDateWarnsAndKeepsTheItem() throws {
        let xml = """
            <rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
            <item><guid>a</guid>
            <pubDate>Tusday, 32 Nov</pubDate></item>
            <item><guid>b</guid><pubDate>garbage</pubDate>
            <dc:date>2026-11-24T09:30:00Z</dc:date></item>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        #expect(items.map(\.id) == ["a", "b"])
        #expect(items[0].published == nil)
        #expect(items[1].published == utc("2026-11-24T09:30:00Z"))
        #expect(result.warnings.map(\.description) == [
            "line 3: unparseable date 'Tusday, 32 Nov'",
            "line 4: unparseable date 'garbage'",
        ])
    }

    /// Dates as real feeds carry them, through a whole parse: what a reader of the item sees.
    @Test func brokenDateFormsInFeedsBecomeUTC() throws {
        let xml = """
            <rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
            <item><guid>a</guid><pubDate>Thu, 01 Jan 04 19:48:21 GMT</pubDate></item>
            <item><guid>b</guid><pubDate>Wed, 19 Feb 2012 22:40:00 GMT-01:01</pubDate></item>
            <item><guid>c</guid><pubDate>Sun Jan  4 16:29:06 2004</pubDate></item>
            <item><guid>d</guid><pubDate>  Mon, 26 January 2004 16:31:00 ET  </pubDate></item>
            <item><guid>e</guid><dc:date>2003-12-31T10:14:55.123-08:00</dc:date></item>
            <item><guid>f</guid><pubDate>2013-xx-27</pubDate></item>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        #expect(items.map { iso($0.published) } == [
            "2004-01-01T19:48:21Z", "2012-02-19T23:41:00Z", "2004-01-04T16:29:06Z", "2004-01-26T21:31:00Z",
            "2003-12-31T18:14:55Z", nil,
        ])
        #expect(result.warnings.map(\.description) == ["line 7: unparseable date '2013-xx-27'"])
    }

    @Test func detailModeKeepsTheRawDateText() throws {
        let xml = """
            <feed xmlns="http://www.w3.org/2005/Atom"><updated>2026-11-24T09:30:00+01:00</updated>
            <entry><id>e</id><published>Tue, 24 Nov 2026 09:30:00 EST</published><updated>soon</updated></entry></feed>
            """
        let (_, detail, entries) = FeedParser.parseDetailed(data: Array(xml.utf8))
        #expect(detail.updated == DateValue(raw: "2026-11-24T09:30:00+01:00", date: utc("2026-11-24T08:30:00Z")))
        let entry = try #require(entries.first?.detail)
        #expect(entry.published == DateValue(raw: "Tue, 24 Nov 2026 09:30:00 EST", date: utc("2026-11-24T14:30:00Z")))
        #expect(entry.updated == DateValue(raw: "soon", date: nil))
    }
}

