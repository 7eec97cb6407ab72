/// Email: message composition, the SMTP client on SwiftNIO, the file transport, the durable
/// outbox and the digest and alert runs.
public enum PapersMail {}
