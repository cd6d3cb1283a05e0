//! Files that `casefile init --github` writes for a case repository on GitHub.

/// The workflow and CODEOWNERS example, as (path, content) pairs.
pub fn github_files() -> [(&'static str, &'static str); 2] {
    [
        (
            ".github/workflows/casefile.yml",
            include_str!("../templates/github/casefile.yml"),
        ),
        (
            ".github/CODEOWNERS.example",
            include_str!("../templates/github/CODEOWNERS.example"),
        ),
    ]
}
