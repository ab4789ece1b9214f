using System.Security.Cryptography;

namespace DomainPlatform.AppHost.Infrastructure;

/// <summary>The gateway's Platform:AssignmentKeySecret: 32 random bytes as hex in a file of mode 0600, made once and kept.</summary>
public static class AssignmentKeySecret
{
    public static string ReadOrCreate(string file, bool create)
    {
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } existing) return existing;
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        if (!create) return secret; // publishing: nothing is written
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var temporary = file + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(temporary, options)) writer.Write(secret);
        File.Move(temporary, file, overwrite: true);
        return secret;
    }
}
