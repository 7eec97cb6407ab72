import Foundation

/// Errors raised while locating or loading the all-MiniLM-L6-v2 model files.
public enum MiniLMError: Error, CustomStringConvertible, Sendable {
    /// A required file is not present.
    case missingFile(path: String)
    /// A file exists but could not be opened, read or memory-mapped.
    case unreadableFile(path: String, reason: String)
    /// The safetensors file is too short or its JSON header is malformed.
    case badSafetensorsHeader(path: String, reason: String)
    /// A tensor the model needs is not in the safetensors file.
    case missingTensor(path: String, name: String)
    /// A tensor has an unexpected dtype, shape or byte range.
    case badTensor(path: String, name: String, reason: String)
    /// A tensor has a shape different from the one the model needs.
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])
    /// The vocabulary file is empty or lacks a required special token.
    case badVocabulary(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "MiniLM: missing file \(path)"
        case .unreadableFile(let path, let reason):
            return "MiniLM: cannot read \(path): \(reason)"
        case .badSafetensorsHeader(let path, let reason):
            return "MiniLM: bad safetensors header in \(path): \(reason)"
        case .missingTensor(let path, let name):
            return "MiniLM: tensor '\(name)' not found in \(path)"
        case .badTensor(let path, let name, let reason):
            return "MiniLM: tensor '\(name)' in \(path) is invalid: \(reason)"
        case .wrongShape(let path, let name, let expected, let found):
            return "MiniLM: tensor '\(name)' in \(path) has shape \(found), expected \(expected)"
        case .badVocabulary(let path, let reason):
            return "MiniLM: bad vocabulary file \(path): \(reason)"
        }
    }
}

extension MiniLMError: LocalizedError {
    public var errorDescription: String? { description }
}
