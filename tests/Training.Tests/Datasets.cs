using System.Security.Cryptography;
using System.Text;
using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Training.Tests;

/// <summary>Writes JSONL datasets the way extraction does and describes them as DatasetReady would.</summary>
public static class Datasets
{
    public static string Jsonl(int examples) => string.Concat(Enumerable.Range(0, examples).Select(i =>
        $"{{\"prompt\":\"Question {i} about orders\",\"completion\":\"SELECT count(*) FROM orders WHERE id = {i % 3}\"}}\n"));

    public static DatasetReady Write(string folder, string content, string domain, string? announcedSha256 = null)
    {
        Directory.CreateDirectory(folder);
        var id = Guid.CreateVersion7();
        var path = Path.Combine(folder, $"{id}.jsonl");
        var bytes = Encoding.UTF8.GetBytes(content);
        File.WriteAllBytes(path, bytes);
        return new DatasetReady(id, domain, $"set-{id:N}", content.Count(c => c == '\n'), path,
            announcedSha256 ?? Convert.ToHexStringLower(SHA256.HashData(bytes)), 1.0);
    }
}
