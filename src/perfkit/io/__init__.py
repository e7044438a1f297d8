"""Reading and writing perfkit data: HRIS imports, the policy file, result exports."""
