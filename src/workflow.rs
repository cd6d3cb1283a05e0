//! Files that `casefile init` writes on request: the GitHub workflow (`--github`) and the
//! Wazuh custom integration (`--wazuh`).

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

/// The Wazuh integration script and its ossec.conf block, as (path, content) pairs.
pub fn wazuh_files() -> [(&'static str, &'static str); 2] {
    [
        (
            "wazuh/custom-casefile",
            include_str!("../templates/wazuh/custom-casefile"),
        ),
        (
            "wazuh/ossec-integration.xml",
            include_str!("../templates/wazuh/ossec-integration.xml"),
        ),
    ]
}
