using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using NodeMesh.Core;

namespace NodeMesh.Cluster;

/// <summary>
/// Mutual TLS between members: every member presents its own certificate (PKCS#12) and accepts a
/// peer only if the peer's certificate chains to the given CA, or — with pinning — only if its
/// SHA-1 thumbprint is in the pinned list. Both directions are checked (Akka.Remote's
/// <c>require-mutual-authentication</c>), so a member without a trusted certificate, or speaking
/// plain TCP, cannot join. The address scheme becomes <c>akka.ssl.tcp</c>.
/// </summary>
/// <param name="CertificatePath">This member's certificate with its private key (PKCS#12, .pfx/.p12).</param>
/// <param name="Password">The PKCS#12 password (may be empty).</param>
/// <param name="TrustedCaPath">A CA certificate (PEM or DER) that signs every member's certificate; or null with pins.</param>
/// <param name="PinnedThumbprints">Thumbprints of the only certificates to accept (hex), instead of a CA.</param>
public sealed record MemberTls(string CertificatePath, string Password, string? TrustedCaPath, IReadOnlyList<string> PinnedThumbprints)
{
    /// <summary>Loads the certificate and the trust, with errors that say which file is wrong and how.</summary>
    public (X509Certificate2 Certificate, CertificateValidationCallback Validator) Load()
    {
        if (!File.Exists(CertificatePath)) throw new UserInputException($"TLS certificate {CertificatePath} does not exist; make member certificates with deploy/make-certs.sh.");
        X509Certificate2 cert;
        try { cert = X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, Password, X509KeyStorageFlags.Exportable); }
        catch (CryptographicException e) { throw new UserInputException($"TLS certificate {CertificatePath} cannot be read as PKCS#12 with the given password ({e.Message})."); }
        if (!cert.HasPrivateKey) throw new UserInputException($"TLS certificate {CertificatePath} holds no private key; a member needs its own key to authenticate itself.");
        if (TrustedCaPath is null && PinnedThumbprints.Count == 0)
            throw new UserInputException("TLS needs a trust: a CA certificate (tls-ca) or pinned certificate thumbprints (tls-pin).");
        X509Certificate2? ca = null;
        if (TrustedCaPath is not null)
        {
            if (!File.Exists(TrustedCaPath)) throw new UserInputException($"TLS CA certificate {TrustedCaPath} does not exist.");
            try { ca = X509CertificateLoader.LoadCertificateFromFile(TrustedCaPath); }
            catch (CryptographicException e) { throw new UserInputException($"TLS CA certificate {TrustedCaPath} cannot be read ({e.Message})."); }
        }
        var pins = PinnedThumbprints.Select(p => p.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
        bool Validate(X509Certificate2? peer, X509Chain? chain, string remote, SslPolicyErrors errors, ILoggingAdapter log)
        {
            if (peer is null)
            {
                log.Warning("TLS: {0} presented no certificate; refused", remote);
                return false;
            }
            if (pins.Count > 0)
            {
                bool pinned = pins.Contains(peer.Thumbprint.ToUpperInvariant());
                if (!pinned) log.Warning("TLS: {0} presented certificate {1} ({2}), which is not pinned; refused", remote, peer.Subject, peer.Thumbprint);
                if (ca is null) return pinned;
                if (!pinned) return false;
            }
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.Add(ca!);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            custom.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
            bool ok = custom.Build(peer);
            if (!ok) log.Warning("TLS: {0} presented certificate {1}, which does not chain to the trusted CA {2}; refused", remote, peer.Subject, ca!.Subject);
            return ok;
        }
        return (cert, Validate);
    }

    /// <summary>The Akka setup that switches DotNetty to TLS with mutual authentication and NodeMesh's trust check.</summary>
    public DotNettySslSetup Setup()
    {
        var (cert, validator) = Load();
        return new DotNettySslSetup(cert, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, validator);
    }
}
