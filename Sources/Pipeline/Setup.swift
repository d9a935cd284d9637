public import Articles
public import Configuration
import Foundation

/// Configuration and registrations, loaded and validated, or the exit code that says why not.
public struct LoadedSetup: Sendable {
    public var configuration: CritfixConfiguration
    public var registrations: Registrations
    /// False after `Setup.loadConfiguration`: `registrations` is empty until
    /// `Setup.loadRegistrations` fills it, which `run` does only when it has work for them.
    public var registrationsLoaded = true
    /// The environment the files were loaded with (`*_env` keys), for a deferred load.
    public var environment: [String: String] = [:]
}

public enum Setup {
    /// `--config`, else `$CRITFIX_CONFIG`, else `./critfix.yaml`.
    public static func configPath(_ option: String?, environment: [String: String]) -> String {
        option ?? environment["CRITFIX_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "critfix.yaml"
    }

    /// Loads both files; prints every problem and returns the exit code on failure
    /// (78 for the configuration, 65 for the registrations).
    public static func load(configPath: String, environment: [String: String], console: Console)
        -> Result<LoadedSetup, SetupFailure>
    {
        let configuration: CritfixConfiguration
        do {
            configuration = try ConfigurationLoader.load(path: configPath, environment: environment)
        } catch {
            for diagnostic in error.diagnostics { console.error(diagnostic.description) }
            console.error("critfix: \(configPath): \(count(error.diagnostics.count)); nothing was done")
            return .failure(SetupFailure(exitCode: ExitStatus.invalidConfiguration))
        }
        do {
            let registrations = try RegistrationsLoader.load(
                path: configuration.registrations, catalog: configuration.catalog, environment: environment)
            return .success(LoadedSetup(configuration: configuration, registrations: registrations))
        } catch {
            for diagnostic in error.diagnostics { console.error(diagnostic.description) }
            console.error("critfix: \(configuration.registrations): \(count(error.diagnostics.count)); nothing was done")
            return .failure(SetupFailure(exitCode: ExitStatus.invalidRegistrations))
        }
    }

    /// Loads the configuration only; the registrations wait for `loadRegistrations`.
    public static func loadConfiguration(configPath: String, environment: [String: String], console: Console)
        -> Result<LoadedSetup, SetupFailure>
    {
        do {
            let configuration = try ConfigurationLoader.load(path: configPath, environment: environment)
            return .success(
                LoadedSetup(
                    configuration: configuration, registrations: Registrations(customers: []), registrationsLoaded: false,
                    environment: environment))
        } catch {
            for diagnostic in error.diagnostics { console.error(diagnostic.description) }
            console.error("critfix: \(configPath): \(count(error.diagnostics.count)); nothing was done")
            return .failure(SetupFailure(exitCode: ExitStatus.invalidConfiguration))
        }
    }

    /// Loads and validates the registrations of a setup made by `loadConfiguration`;
    /// prints every problem and returns the failure (65).
    public static func loadRegistrations(_ setup: inout LoadedSetup, console: Console) -> SetupFailure? {
        guard !setup.registrationsLoaded else { return nil }
        let configuration = setup.configuration
        do {
            setup.registrations = try RegistrationsLoader.load(
                path: configuration.registrations, catalog: configuration.catalog, environment: setup.environment)
            setup.registrationsLoaded = true
            return nil
        } catch {
            for diagnostic in error.diagnostics { console.error(diagnostic.description) }
            console.error("critfix: \(configuration.registrations): \(count(error.diagnostics.count)); nothing was done")
            return SetupFailure(exitCode: ExitStatus.invalidRegistrations)
        }
    }

    /// What proves the registrations valid without reading them again: a digest of both
    /// files and of the environment variables the registrations named (by digest, never
    /// their values), recorded after a successful validation as `NAMES:DIGEST`.
    static func checkedInputs(_ configuration: CritfixConfiguration, environmentNames: [String], environment: [String: String])
        -> String?
    {
        inputFiles(configuration).map {
            checkedInputs(files: $0, environmentNames: environmentNames, environment: environment)
        }
    }

    /// Both files' bytes, as they are now.
    static func inputFiles(_ configuration: CritfixConfiguration) -> [UInt8]? {
        guard let config = FileManager.default.contents(atPath: configuration.path),
            let registrations = FileManager.default.contents(atPath: configuration.registrations)
        else { return nil }
        return [UInt8](config) + [0] + [UInt8](registrations)
    }

    static func checkedInputs(files: [UInt8], environmentNames: [String], environment: [String: String]) -> String {
        var bytes = files
        for name in environmentNames {
            bytes.append(0)
            bytes += Array(name.utf8)
            bytes += Array((environment[name].map { "=" + Digest.sha256Hex($0) } ?? " unset").utf8)
        }
        return environmentNames.joined(separator: ",") + ":" + Digest.sha256Hex(bytes: bytes)
    }

    /// The environment variable names of a recorded `NAMES:DIGEST`.
    static func environmentNames(ofCheckedInputs recorded: String) -> [String] {
        guard let colon = recorded.firstIndex(of: ":") else { return [] }
        return recorded[..<colon].split(separator: ",").map(String.init)
    }

    static func count(_ problems: Int) -> String {
        problems == 1 ? "1 problem" : "\(problems) problems"
    }
}

public struct SetupFailure: Error, Sendable {
    public var exitCode: Int32
}
