#pragma once
// The OCI runtime's command line: `mydocker oci ARGS` (first = 2) or `mydocker-runc ARGS`
// (first = 1, the binary started under that name). Returns the exit status.

namespace mydocker::oci {

int main(int argc, char** argv, int first);

}  // namespace mydocker::oci
