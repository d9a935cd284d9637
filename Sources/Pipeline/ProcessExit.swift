/// What a finished run still holds — its articles, caches and registrations — left for the
/// process exit to free: the kernel takes a process's memory back at once, where freeing
/// a large run's objects one by one costs tens of milliseconds at the end of every run.
/// Only for values the process no longer uses: files and databases are closed first.
public enum ProcessExit {
    nonisolated(unsafe) private static var left: [Any] = []

    public static func leave(_ values: Any...) {
        left.append(contentsOf: values)
    }
}
