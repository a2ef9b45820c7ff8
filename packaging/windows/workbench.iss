; Inno Setup 6 script for Workbench. UNTESTED HERE (no Windows machine); run by .github/workflows/build.yml
; on windows-latest through packaging/build.sh, which passes the defines below:
;   iscc /DVersion=0.1.0 /DBundleDir=C:\...\build\packaging\dist\workbench /DOutputDir=C:\...\dist
;        /DOutputName=workbench-0.1.0-windows-AMD64-setup packaging\windows\workbench.iss
; Per-user install by default (no admin rights needed on locked-down laptops); admins can choose all users.

#ifndef Version
  #define Version "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\build\packaging\dist\workbench"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef OutputName
  #define OutputName "workbench-setup"
#endif

[Setup]
AppId={{6F1C2E3A-5B7D-4C1E-9A8B-2D4F6E8A0B1C}
AppName=Workbench
AppVersion={#Version}
AppPublisher=Workbench
DefaultDirName={autopf}\Workbench
DefaultGroupName=Workbench
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#OutputName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\workbench.exe
DisableProgramGroupPage=yes

[Files]
; The whole one-folder bundle: workbench.exe (GUI), workbench-cli.exe (console: --self-test, sub-commands),
; _internal\, sbom.cdx.json and LICENSES\.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Workbench"; Filename: "{app}\workbench.exe"
Name: "{autodesktop}\Workbench"; Filename: "{app}\workbench.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\workbench.exe"; Description: "Start Workbench"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Nothing else: the app never writes into its install folder (user data lives in %LOCALAPPDATA%).
